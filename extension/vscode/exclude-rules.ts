// Pure pieces of the VS Code workspace listing: turning files.exclude / search.exclude settings into
// a findFiles exclude glob plus an exact post-filter. (.gitignore and the other walker rules are
// core's filterHostListing.) No vscode import, so tests run in node.
import { compileGlobs } from '../core/workspace/glob';
import { GENERATED_DIRS } from '../core/workspace/filters';

/** Keys set to `true` in a files.exclude-style object. `{ when: … }` entries depend on sibling files; we skip them. */
export function enabledGlobs(setting: unknown): string[] {
  if (typeof setting !== 'object' || setting === null) return [];
  return Object.entries(setting as Record<string, unknown>).filter(([k, v]) => v === true && k.trim() !== '').map(([k]) => k.trim());
}

/**
 * One brace glob for findFiles' exclude argument, so excluded and generated folders are never listed
 * (vital on a 100,000-file tree with node_modules). Patterns containing braces cannot nest inside
 * the group portably, so they are left to the post-filter.
 */
export function findFilesExcludeGlob(globs: readonly string[]): string {
  const parts = new Set<string>();
  for (const d of GENERATED_DIRS) parts.add(`**/${d}/**`);
  for (const g of globs) {
    if (/[{}]/.test(g)) continue;
    const bare = g.replace(/\/+$/, '');
    parts.add(bare);
    parts.add(`${bare}/**`);
  }
  return `{${[...parts].join(',')}}`;
}

/** Exact matcher: a path is excluded when it, or any folder above it, matches one of the globs. */
export function excludeMatcher(globs: readonly string[]): (relPath: string) => boolean {
  if (globs.length === 0) return () => false;
  const m = compileGlobs(globs, 'files.exclude / search.exclude');
  return (relPath) => {
    if (m(relPath)) return true;
    const parts = relPath.split('/');
    for (let i = 1; i < parts.length; i++) if (m(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}
