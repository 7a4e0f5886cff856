// Nested .gitignore semantics: each ignore file's rules apply to paths relative to its own folder,
// and deeper files override shallower ones (a `!keep.ts` in a subfolder re-includes it).
import ignore, { type Ignore } from 'ignore';

export interface IgnoreLayer {
  /** Folder (relPath, '' for the root) the rules belong to. */
  base: string;
  rules: Ignore;
}

export function parseIgnoreFile(base: string, content: string): IgnoreLayer | null {
  const rules = ignore().add(content);
  // An ignore file with only comments adds no layer, which keeps the chain short on big trees.
  return content.split('\n').some((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) ? { base, rules } : null;
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
