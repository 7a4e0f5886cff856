// Nested .gitignore semantics: each ignore file's rules apply to paths relative to its own folder,
// and deeper files override shallower ones (a `!keep.ts` in a subfolder re-includes it).
import ignore, { type Ignore } from 'ignore';

export interface IgnoreLayer {
  /** Folder (relPath, '' for the root) the rules belong to. */
  base: string;
  rules: Ignore;
}

/** Rules kept per ignore file: every path is tested against every rule of every file above it. */
export const MAX_IGNORE_RULES = 1000;
/** Rules kept per listing over all ignore files (a thousand files of a thousand rules each would make
 * every path's test cost a million rule checks). */
export const MAX_IGNORE_RULES_TOTAL = 10_000;
/** Longer rules are dropped (real ones are short; long ones are how regex blow-ups are built). */
export const MAX_IGNORE_RULE_LENGTH = 256;
/** `**` per rule: each one multiplies the backtracking of the `ignore` package's regex by the path depth
 * (measured: 4 take over 1 s on one 60-folder-deep path, 3 take 18 ms). */
export const MAX_IGNORE_GLOBSTARS = 3;

/**
 * Parses one ignore file. Rules beyond the bounds above are dropped, and `onCapped` says how many and
 * why, so the listing can report it (the listing stays bounded in time on a hostile repository).
 */
export function parseIgnoreFile(base: string, content: string, onCapped?: (why: string) => void, budget?: { rules: number }): IgnoreLayer | null {
  const maxRules = Math.min(MAX_IGNORE_RULES, budget?.rules ?? MAX_IGNORE_RULES);
  const kept: string[] = [];
  let tooLong = 0;
  let tooMany = 0;
  let tooComplex = 0;
  for (const line of content.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    if (t.length > MAX_IGNORE_RULE_LENGTH) tooLong++;
    else if ((t.match(/\*\*/g)?.length ?? 0) > MAX_IGNORE_GLOBSTARS) tooComplex++;
    else if (kept.length >= maxRules) tooMany++;
    else kept.push(line);
  }
  if (onCapped && tooLong + tooMany + tooComplex > 0) {
    const why = [
      tooMany ? `${tooMany} rules past the first ${maxRules} (at most ${MAX_IGNORE_RULES} per file, ${MAX_IGNORE_RULES_TOTAL} per listing)` : '',
      tooLong ? `${tooLong} rules longer than ${MAX_IGNORE_RULE_LENGTH} characters` : '',
      tooComplex ? `${tooComplex} rules with more than ${MAX_IGNORE_GLOBSTARS} '**'` : '',
    ].filter((s) => s).join(', ');
    onCapped(`${why} ignored`);
  }
  if (budget) budget.rules -= kept.length;
  // An ignore file with only comments adds no layer, which keeps the chain short on big trees.
  return kept.length > 0 ? { base, rules: ignore().add(kept) } : null;
}

/** Evaluates the chain root → deepest; `relPath` is workspace-relative, dirs get a trailing '/'. */
export function isIgnored(layers: readonly IgnoreLayer[], relPath: string, isDir: boolean): boolean {
  let ignored = false;
  for (const layer of layers) {
    const local = layer.base === '' ? relPath : relPath.slice(layer.base.length + 1);
    if (local === '') continue;
    const r = layer.rules.test(isDir ? `${local}/` : local);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}
