// Re-renders a pinned selection (same files, same line ranges) with the files' current contents.
// Follow-up questions reuse the first turn's selection so the repository block, and with it the
// engine's KV-cache prefix, stays identical; an edited file changes the block from that file on,
// and the engine recomputes only from the first differing token.
import type { FileSource } from '../workspace/types';
import { readText } from '../workspace/read-text';
import { throwIfAborted } from '../util/abort';
import type { IncludedFile, RepositoryContext } from './gather';
import { leftOutNote, renderFile, type Range } from './render';

export async function rerenderContext(
  source: FileSource, ctx: RepositoryContext, countTokens: (s: string) => number, signal?: AbortSignal,
): Promise<RepositoryContext> {
  if (ctx.mode === 'empty') return ctx;
  let body = '';
  const files: IncludedFile[] = [];
  for (const f of ctx.files) {
    throwIfAborted(signal);
    const r = await readText(source, f.relPath, signal);
    if (r.kind !== 'text') continue; // deleted or became unreadable: it simply drops out
    const text = r.text.endsWith('\n') ? r.text.slice(0, -1) : r.text;
    const lines = text === '' ? [] : text.split('\n');
    let ranges: Range[];
    if (f.whole) {
      ranges = [{ startLine: 1, endLine: lines.length, text }];
    } else {
      ranges = f.ranges
        .filter((x) => x.startLine <= lines.length)
        .map((x) => {
          const end = Math.min(x.endLine, lines.length);
          return { startLine: x.startLine, endLine: end, text: lines.slice(x.startLine - 1, end).join('\n') };
        });
      if (ranges.length === 0) continue;
    }
    body += renderFile(f.relPath, ranges, lines.length, f.whole);
    files.push({ relPath: f.relPath, whole: f.whole, ranges: ranges.map((x) => ({ startLine: x.startLine, endLine: x.endLine })), totalLines: lines.length });
  }
  const note = ctx.mode === 'ranked' ? leftOutNote(ctx.filesListed - files.length, []) : '';
  const text = ctx.header + body + note;
  return { ...ctx, text, tokens: text === ctx.text ? ctx.tokens : countTokens(text), files };
}
