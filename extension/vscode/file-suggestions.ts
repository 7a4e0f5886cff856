// Workspace files for `@` mentions in the composer: a listing through the same FileSource as the
// prompt (so excluded files are never offered), cached briefly because every keystroke asks again.
import type { FileSource } from '../core/workspace/types';

export const MAX_SUGGESTIONS = 50;
const CACHE_MS = 15_000;

/**
 * Paths matching `query`, best first: file name starts with it, then file name contains it, then the
 * path contains it (case-insensitive); shorter paths first within each group. Empty query: shortest paths.
 */
export function rankPaths(paths: readonly string[], query: string, limit = MAX_SUGGESTIONS): string[] {
  const q = query.toLowerCase();
  const scored: { p: string; rank: number }[] = [];
  for (const p of paths) {
    const lower = p.toLowerCase();
    const name = lower.slice(lower.lastIndexOf('/') + 1);
    const rank = !q ? 3 : name.startsWith(q) ? 0 : name.includes(q) ? 1 : lower.includes(q) ? 2 : -1;
    if (rank >= 0) scored.push({ p, rank });
  }
  scored.sort((a, b) => a.rank - b.rank || a.p.length - b.p.length || (a.p < b.p ? -1 : 1));
  return scored.slice(0, limit).map((s) => s.p);
}

export class FileSuggestions {
  private cache: { at: number; source: FileSource; paths: Promise<string[]> } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async suggest(source: FileSource | undefined, query: string): Promise<string[]> {
    if (!source) return [];
    if (!this.cache || this.cache.source !== source || this.now() - this.cache.at > CACHE_MS) {
      const paths = (async () => {
        const out: string[] = [];
        for await (const e of source.list()) out.push(e.relPath);
        return out;
      })();
      this.cache = { at: this.now(), source, paths };
      paths.catch(() => (this.cache = undefined));
    }
    return rankPaths(await this.cache.paths, query);
  }
}
