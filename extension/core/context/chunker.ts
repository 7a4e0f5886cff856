// Splits file text into line ranges small enough to rank and pack independently, cutting preferably
// at blank lines so a function is not torn in half when it can be avoided.

export interface Chunk {
  relPath: string;
  /** 1-based inclusive line range. */
  startLine: number;
  endLine: number;
  text: string;
}

export interface ChunkOptions {
  maxLines?: number;
  maxChars?: number;
}

export function chunkText(relPath: string, text: string, opts: ChunkOptions = {}): Chunk[] {
  const maxLines = opts.maxLines ?? 60;
  const maxChars = opts.maxChars ?? 2400;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: Chunk[] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start;
    let chars = 0;
    let lastBlank = -1;
    while (end < lines.length && end - start < maxLines && (chars + lines[end]!.length + 1 <= maxChars || end === start)) {
      chars += lines[end]!.length + 1;
      if (lines[end]!.trim() === '' && end > start + maxLines / 3) lastBlank = end;
      end++;
    }
    // Prefer to end just after a blank line in the last two thirds of the window.
    if (end < lines.length && lastBlank > start) end = lastBlank + 1;
    let piece = lines.slice(start, end).join('\n');
    // A single enormous line (minified data) is cut by characters.
    if (piece.length > maxChars * 2) piece = `${piece.slice(0, maxChars * 2)} …[line truncated]`;
    out.push({ relPath, startLine: start + 1, endLine: end, text: piece });
    start = end;
  }
  return out;
}
