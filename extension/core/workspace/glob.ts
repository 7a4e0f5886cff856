// Include/exclude globs, matched in time linear in (pattern × path) per pattern. picomatch compiles a glob
// to a backtracking regular expression, and a hostile pattern such as `*a*a*a*a*b` (or `**/a/**/a/**/b`)
// then takes seconds to minutes on one path (issue 13 finding 7). Here `*` and `**` are matched with the
// classic "remember the last star" scan, once over characters within a segment and once over segments,
// which never backtracks further than one star. Supported, as in VS Code and picomatch: `*`, `?`, `**`
// (a whole segment), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, `{a,b}` (nested), `\` escapes and a leading `!`.
// Patterns are compiled once per listing and bounded in number and length.

export const MAX_GLOB_PATTERNS = 256;
export const MAX_GLOB_LENGTH = 1024;
/** Alternatives one pattern's braces may expand to. */
export const MAX_BRACE_EXPANSION = 256;
/** Alternatives of a whole list after brace expansion (each is tried on every path). */
export const MAX_GLOB_ALTERNATIVES = 1024;

export class GlobLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GlobLimitError';
  }
}

type Token = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'star' } | { kind: 'class'; negate: boolean; items: (string | [string, string])[] };
type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

function expandBraces(p: string, limit: number): string[] {
  // Find the first top-level {…,…} group; expand it, then the rest recursively.
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0) {
        open = i;
        commas.length = 0;
      }
      depth++;
    } else if (c === ',' && depth === 1) {
      commas.push(i);
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0 && commas.length > 0) {
        const pre = p.slice(0, open);
        const post = p.slice(i + 1);
        const bounds = [open, ...commas, i];
        const out: string[] = [];
        for (let k = 0; k + 1 < bounds.length; k++) {
          for (const rest of expandBraces(pre + p.slice(bounds[k]! + 1, bounds[k + 1]) + post, limit)) {
            out.push(rest);
            if (out.length > limit) throw new GlobLimitError(`expands to more than ${limit} alternatives`);
          }
        }
        return out;
      }
    }
  }
  return [p];
}

function compileSegment(s: string): Segment {
  if (s === '**') return { globstar: true };
  const tokens: Token[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) tokens.push({ kind: 'char', c: s[++i]! });
    else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' }); // `**` inside a segment is `*`
    } else if (c === '[') {
      const close = s.indexOf(']', i + 2);
      if (close < 0) {
        tokens.push({ kind: 'char', c });
        continue;
      }
      let body = s.slice(i + 1, close);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      const items: (string | [string, string])[] = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          items.push([body[k]!, body[k + 2]!]);
          k += 2;
        } else items.push(body[k]!);
      }
      tokens.push({ kind: 'class', negate, items });
      i = close;
    } else tokens.push({ kind: 'char', c });
  }
  return { globstar: false, tokens };
}

function oneChar(t: Token, c: string): boolean {
  if (t.kind === 'char') return t.c === c;
  if (t.kind === 'any') return true;
  if (t.kind === 'class') return t.items.some((it) => (typeof it === 'string' ? it === c : it[0] <= c && c <= it[1])) !== t.negate;
  return false;
}

/** Segment match: `*` spans any characters (never '/', segments have none), O(|tokens| × |s|). */
function matchSegment(tokens: readonly Token[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starT = -1;
  let starS = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t && t.kind === 'star') {
      starT = ti++;
      starS = si;
    } else if (t && oneChar(t, s[si]!)) {
      ti++;
      si++;
    } else if (starT >= 0) {
      ti = starT + 1;
      si = ++starS;
    } else return false;
  }
  while (tokens[ti]?.kind === 'star') ti++;
  return ti === tokens.length;
}

/** Path match: `**` spans any number of segments, the same scan one level up. */
function matchSegments(pattern: readonly Segment[], parts: readonly string[]): boolean {
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < parts.length) {
    const p = pattern[pi];
    if (p && p.globstar) {
      starP = pi++;
      starS = si;
    } else if (p && matchSegment(p.tokens, parts[si]!)) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else return false;
  }
  while (pattern[pi]?.globstar) pi++;
  return pi === pattern.length;
}

/**
 * One matcher for a list of globs (a path matches when any pattern does; `!p` matches what p does not).
 * `what` names the list in errors, e.g. "selfextend.exclude". Throws GlobLimitError past the bounds.
 */
export function compileGlobs(patterns: readonly string[], what: string): (relPath: string) => boolean {
  if (patterns.length > MAX_GLOB_PATTERNS) throw new GlobLimitError(`${what} has ${patterns.length} patterns; at most ${MAX_GLOB_PATTERNS} are supported.`);
  const alternatives: { negate: boolean; segments: Segment[] }[] = [];
  patterns.forEach((raw, i) => {
    if (raw.length > MAX_GLOB_LENGTH) {
      throw new GlobLimitError(`${what} pattern ${i + 1} is ${raw.length} characters long; at most ${MAX_GLOB_LENGTH} are supported.`);
    }
    const negate = raw.startsWith('!') && raw.length > 1;
    const body = (negate ? raw.slice(1) : raw).replace(/^\.\//, '').replace(/\/+$/, '');
    let expanded: string[];
    try {
      expanded = expandBraces(body, MAX_BRACE_EXPANSION);
    } catch (e) {
      throw new GlobLimitError(`${what} pattern ${i + 1} ${(e as Error).message}; at most ${MAX_BRACE_EXPANSION} are supported.`);
    }
    if (alternatives.length + expanded.length > MAX_GLOB_ALTERNATIVES) {
      throw new GlobLimitError(`${what} expands (through its {…} braces) to more than ${MAX_GLOB_ALTERNATIVES} patterns; simplify it.`);
    }
    for (const alt of expanded) alternatives.push({ negate, segments: alt.split('/').filter((s, k, a) => s !== '' || k === 0 || k === a.length - 1).map(compileSegment) });
  });
  return (relPath) => {
    const parts = relPath.replace(/\/+$/, '').split('/');
    return alternatives.some((a) => matchSegments(a.segments, parts) !== a.negate);
  };
}
