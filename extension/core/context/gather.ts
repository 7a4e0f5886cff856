// Builds the repository block of the prompt from a FileSource: everything when it fits, otherwise a
// ranked selection of chunks (BM25 + path matches + editor boosts) packed into the token budget.
//
// Bounds: listing is capped by the source's maxFiles; at most `maxIndexFiles` files / `maxIndexBytes`
// bytes are read for ranking (chosen by path relevance and editor state when the tree is bigger), and
// only question terms are indexed (see bm25.ts). Tokenization is limited to what may enter the prompt.
import type { FileEntry, FileSource } from '../workspace/types';
import type { SkipSummary } from '../workspace/skip-report';
import { readText } from '../workspace/read-text';
import { throwIfAborted, untilAbortedIterable } from '../util/abort';
import { QueryBm25 } from './bm25';
import { chunkText, type Chunk } from './chunker';
import { buildOutline } from './outline';
import { leftOutNote, renderFile, repositoryHeader, type Range } from './render';
import { queryTerms, splitIdentifier } from './terms';

export interface EditorContext {
  /** Workspace-relative paths (the host maps its URIs). */
  activeFile?: string;
  openFiles?: readonly string[];
  selection?: { relPath: string; startLine: number; endLine: number };
}

export type GatherPhase = 'listing' | 'reading' | 'ranking' | 'packing';

export interface GatherProgress {
  phase: GatherPhase;
  /** Files (listing, reading, whole-repository packing) or chunks (ranked packing) done so far. */
  done: number;
  /** 0 when unknown (listing). */
  total: number;
  /** While packing: tokens counted into the block so far. */
  tokens?: number;
}

export interface GatherOptions {
  question: string;
  /** Tokens the repository block may use. */
  budgetTokens: number;
  /** The model's tokenizer (without BOS). */
  countTokens: (text: string) => number;
  editor?: EditorContext;
  signal?: AbortSignal;
  onProgress?: (p: GatherProgress) => void;
  /** Files read for ranking when the tree is larger (default 4,000). */
  maxIndexFiles?: number;
  /** Bytes read for ranking (default 16 MiB). */
  maxIndexBytes?: number;
  /** Lines of file-tree outline (default 200; reduced if the outline would crowd out content). */
  outlineMaxLines?: number;
}

export interface IncludedFile {
  relPath: string;
  whole: boolean;
  /** Line ranges shown (1-based, inclusive); one range covering the file when whole. */
  ranges: { startLine: number; endLine: number }[];
  totalLines: number;
}

export interface RepositoryContext {
  /** The repository block, ready to go first in the prompt. */
  text: string;
  /** The block's opening (name + file-tree outline), kept so a pinned selection can be re-rendered. */
  header: string;
  tokens: number;
  /** `whole`: every listed text file is in, in path order (question-independent). */
  mode: 'whole' | 'ranked' | 'empty';
  /** Included files in the order they appear (path order). */
  files: IncludedFile[];
  filesListed: number;
  leftOut: { count: number; examples: string[] };
  /** Files not even read for ranking because of maxIndexFiles / maxIndexBytes. */
  notIndexed: number;
  skipped: SkipSummary;
  timings: { listMs: number; readMs: number; packMs: number };
  bytesRead: number;
  /** The listing this block was built from (path order), so follow-ups can rank without listing again. */
  entries: readonly FileEntry[];
}

/** Upper bound of bytes per token for the quick "might everything fit" test; generous on purpose. */
const WHOLE_BYTES_PER_TOKEN = 8;
const PROGRESS_EVERY = 50;
/** Files tokenized between turns of the event loop while packing: Stop (a message to the backend
 * worker) is seen within a few files, and progress goes out, instead of after the whole repository. */
const PACK_TURN_EVERY = 8;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface FileText {
  entry: FileEntry;
  text: string;
}

export async function gatherRepository(source: FileSource, opts: GatherOptions): Promise<RepositoryContext> {
  const { signal, onProgress, countTokens } = opts;
  const t0 = Date.now();
  const entries: FileEntry[] = [];
  let totalBytes = 0;
  // Progress from the start and every few hundred files, whether or not the source reports its own:
  // a slow file system must not look like a hang, and Stop is offered as soon as reading begins.
  onProgress?.({ phase: 'listing', done: 0, total: 0 });
  const listing = source.list({ signal, onProgress: (p) => onProgress?.({ phase: 'listing', done: p.filesListed, total: 0 }) });
  for await (const e of untilAbortedIterable(listing, signal)) {
    entries.push(e);
    totalBytes += e.size;
    if (entries.length % 512 === 0) onProgress?.({ phase: 'listing', done: entries.length, total: 0 });
  }
  // Deterministic order regardless of how the host enumerated (VS Code's findFiles is unordered).
  entries.sort((a, b) => cmp(a.relPath, b.relPath));
  const listMs = Date.now() - t0;
  onProgress?.({ phase: 'listing', done: entries.length, total: entries.length });

  const budget = Math.max(0, Math.floor(opts.budgetTokens));
  let outlineLines = opts.outlineMaxLines ?? 200;
  let header = repositoryHeader(source.rootLabel, entries.length, buildOutline(entries.map((e) => e.relPath), outlineLines));
  let headerTokens = countTokens(header);
  // The outline is a map, not the territory: keep it under a fifth of the budget.
  while (headerTokens > budget / 5 && outlineLines > 4) {
    outlineLines = Math.floor(outlineLines / 2);
    header = repositoryHeader(source.rootLabel, entries.length, buildOutline(entries.map((e) => e.relPath), outlineLines));
    headerTokens = countTokens(header);
  }
  const base = { filesListed: entries.length, skipped: source.skipped.summary(), notIndexed: 0, entries };
  if (entries.length === 0 || headerTokens >= budget) {
    // With no room even for the outline, nothing goes in (the caller still gets the listing report).
    const text = entries.length === 0 || headerTokens > budget ? '' : header;
    return {
      ...base, text, header, tokens: text ? headerTokens : 0, mode: 'empty', files: [],
      leftOut: { count: entries.length, examples: entries.slice(0, 5).map((e) => e.relPath) },
      timings: { listMs, readMs: 0, packMs: 0 }, bytesRead: 0,
    };
  }

  // 1. Might the whole repository fit? Then read all of it and count exactly.
  const t1 = Date.now();
  if (totalBytes <= (budget - headerTokens) * WHOLE_BYTES_PER_TOKEN) {
    const texts = await readAll(source, entries, signal, onProgress);
    let total = headerTokens;
    const blocks: string[] = [];
    const files: IncludedFile[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (i % PACK_TURN_EVERY === 0) {
        onProgress?.({ phase: 'packing', done: i, total: texts.length, tokens: total });
        await nextTurn();
        throwIfAborted(signal);
      }
      const f = texts[i]!;
      const lines = lineCount(f.text);
      const block = renderFile(f.entry.relPath, [{ startLine: 1, endLine: lines, text: trimEnd(f.text) }], lines, true);
      blocks.push(block);
      files.push({ relPath: f.entry.relPath, whole: true, ranges: [{ startLine: 1, endLine: lines }], totalLines: lines });
      total += countTokens(block);
      if (total > budget) break;
    }
    onProgress?.({ phase: 'packing', done: files.length, total: texts.length, tokens: total });
    if (total <= budget) {
      const text = header + blocks.join('');
      const readMs = Date.now() - t1;
      return {
        ...base, skipped: source.skipped.summary(), text, header, tokens: countTokens(text), mode: 'whole', files,
        leftOut: { count: 0, examples: [] }, timings: { listMs, readMs, packMs: 0 },
        bytesRead: texts.reduce((s, f) => s + f.entry.size, 0),
      };
    }
    return rankAndPack(source, opts, entries, header, headerTokens, budget, texts, listMs, t1);
  }
  return rankAndPack(source, opts, entries, header, headerTokens, budget, null, listMs, t1);
}

async function readAll(
  source: FileSource, entries: readonly FileEntry[], signal: AbortSignal | undefined, onProgress: GatherOptions['onProgress'],
): Promise<FileText[]> {
  const out: FileText[] = [];
  for (let i = 0; i < entries.length; i++) {
    throwIfAborted(signal);
    const r = await readText(source, entries[i]!.relPath, signal);
    if (r.kind === 'text') out.push({ entry: entries[i]!, text: r.text });
    if (i % PROGRESS_EVERY === 0) onProgress?.({ phase: 'reading', done: i, total: entries.length });
  }
  onProgress?.({ phase: 'reading', done: entries.length, total: entries.length });
  return out;
}

interface ScoredChunk extends Chunk {
  score: number;
  /** Order key for chunks no signal prefers: shallow files first, then path order. */
  fallback: number;
}

async function rankAndPack(
  source: FileSource, opts: GatherOptions, entries: readonly FileEntry[], header: string, headerTokens: number, budget: number,
  preRead: FileText[] | null, listMs: number, t1: number, excerpts = false,
): Promise<RepositoryContext> {
  const { signal, onProgress, countTokens, editor } = opts;
  const terms = queryTerms(opts.question);
  const open = new Set(editor?.openFiles ?? []);
  const fileBoost = (rel: string): number =>
    (rel === editor?.activeFile ? 4 : 0) + (open.has(rel) ? 1.5 : 0) + (rel === editor?.selection?.relPath ? 4 : 0);

  // Choose what to read: everything when within bounds, otherwise the most promising paths.
  const maxIndexFiles = opts.maxIndexFiles ?? 4000;
  const maxIndexBytes = opts.maxIndexBytes ?? 16 * 1024 * 1024;
  let texts = preRead;
  let notIndexed = 0;
  if (!texts) {
    const ranked = entries
      .map((e, i) => ({ e, i, p: pathScore(e.relPath, terms) + fileBoost(e.relPath), depth: depthOf(e.relPath) }))
      .sort((a, b) => b.p - a.p || a.depth - b.depth || a.i - b.i);
    const chosen: FileEntry[] = [];
    let bytes = 0;
    for (const r of ranked) {
      if (chosen.length >= maxIndexFiles || bytes + r.e.size > maxIndexBytes) {
        notIndexed++;
        continue;
      }
      chosen.push(r.e);
      bytes += r.e.size;
    }
    chosen.sort((a, b) => cmp(a.relPath, b.relPath));
    texts = await readAll(source, chosen, signal, onProgress);
  }
  const readMs = Date.now() - t1;
  const t2 = Date.now();

  const bm25 = new QueryBm25(terms);
  const chunks: ScoredChunk[] = [];
  const totalLines = new Map<string, number>();
  const chunkCount = new Map<string, number>();
  const sel = editor?.selection;
  // Chunks must be small next to the budget or a tiny window could take none of the relevant ones:
  // aim for at most a quarter of it, in characters estimated from this tokenizer's density.
  const charsPerToken = header.length / Math.max(1, headerTokens);
  const maxChars = Math.max(160, Math.min(2400, Math.floor((budget * charsPerToken) / 4)));
  const chunkOpts = { maxChars, maxLines: Math.max(8, Math.min(60, Math.floor(maxChars / 40))) };
  texts.forEach((f, fi) => {
    const rel = f.entry.relPath;
    const cs = chunkText(rel, f.text, chunkOpts);
    totalLines.set(rel, lineCount(f.text));
    chunkCount.set(rel, cs.length);
    // Paths weigh more than body text: a question naming a file or folder means that one.
    const boost = pathScore(rel, terms) * 2 + fileBoost(rel);
    cs.forEach((c, ci) => {
      bm25.add(c.text);
      const inSel = sel && sel.relPath === rel && c.startLine <= sel.endLine && c.endLine >= sel.startLine ? 6 : 0;
      // The first chunk of a README tells what the project is; a mild default preference.
      const readme = ci === 0 && /^readme(\.|$)/i.test(rel.slice(rel.lastIndexOf('/') + 1)) ? 0.5 + (depthOf(rel) === 0 ? 0.5 : 0) : 0;
      chunks.push({ ...c, score: boost + inSel + readme, fallback: depthOf(rel) * 1e7 + fi * 1e3 + ci });
    });
  });
  onProgress?.({ phase: 'ranking', done: chunks.length, total: chunks.length });
  const s = bm25.scoreAll();
  chunks.forEach((c, i) => (c.score += s[i]!));
  const order = chunks
    .map((c, i) => i)
    .sort((a, b) => chunks[b]!.score - chunks[a]!.score || chunks[a]!.fallback - chunks[b]!.fallback);

  // Greedy fill with exact per-piece token counts; the note about left-out files is reserved up front.
  const reserve = excerpts ? 0 : 48;
  let used = headerTokens + reserve;
  const chosen = new Set<number>();
  const filesOpened = new Set<string>();
  let misses = 0;
  for (let k = 0; k < order.length; k++) {
    if (k % PROGRESS_EVERY === 0) {
      onProgress?.({ phase: 'packing', done: k, total: order.length, tokens: used });
      await nextTurn();
      throwIfAborted(signal);
    }
    const c = chunks[order[k]!]!;
    if (excerpts && c.score <= 0) break; // excerpts are for relevance only, never filler
    const headerCost = filesOpened.has(c.relPath) ? 3 : countTokens(renderFile(c.relPath, [{ ...c, text: '' }], 0, false));
    const cost = countTokens(c.text) + headerCost;
    if (used + cost <= budget) {
      used += cost;
      chosen.add(order[k]!);
      filesOpened.add(c.relPath);
      misses = 0;
    } else if (++misses > 64 || budget - used < 16) {
      break; // Nothing more will fit: stop tokenizing.
    }
  }

  // Render in path order; trim (lowest score first) until the exact count fits.
  let result = renderChosen(header, chunks, chosen, totalLines, chunkCount, excerpts ? -1 : entries.length);
  let tokens = countTokens(result.text);
  const byScore = [...chosen].sort((a, b) => chunks[a]!.score - chunks[b]!.score);
  while (tokens > budget && byScore.length > 0) {
    const drop = Math.max(1, Math.ceil(byScore.length * Math.min(0.5, (tokens - budget) / Math.max(1, tokens))));
    for (const i of byScore.splice(0, drop)) chosen.delete(i);
    result = renderChosen(header, chunks, chosen, totalLines, chunkCount, excerpts ? -1 : entries.length);
    tokens = countTokens(result.text);
  }
  if (tokens > budget) {
    // Not even the note about left-out files fits: the outline alone, or nothing.
    result = { text: headerTokens <= budget ? header : '', files: [] };
    tokens = result.text ? headerTokens : 0;
  }
  const included = new Set(result.files.map((f) => f.relPath));
  const leftOutExamples: string[] = [];
  for (const i of order) {
    const rel = chunks[i]!.relPath;
    if (!included.has(rel) && !leftOutExamples.includes(rel)) leftOutExamples.push(rel);
    if (leftOutExamples.length >= 10) break;
  }
  return {
    text: result.text, header, tokens, mode: 'ranked', files: result.files, filesListed: entries.length,
    leftOut: { count: entries.length - included.size, examples: leftOutExamples },
    notIndexed, skipped: source.skipped.summary(), timings: { listMs, readMs, packMs: Date.now() - t2 }, entries,
    bytesRead: texts.reduce((s2, f) => s2 + f.entry.size, 0),
  };
}

function renderChosen(
  header: string, chunks: readonly ScoredChunk[], chosen: ReadonlySet<number>, totalLines: ReadonlyMap<string, number>,
  chunkCount: ReadonlyMap<string, number>, listed: number,
): { text: string; files: IncludedFile[] } {
  const byFile = new Map<string, Chunk[]>();
  for (const i of chosen) {
    const c = chunks[i]!;
    let list = byFile.get(c.relPath);
    if (!list) byFile.set(c.relPath, (list = []));
    list.push(c);
  }
  const files: IncludedFile[] = [];
  let body = '';
  for (const rel of [...byFile.keys()].sort(cmp)) {
    const cs = byFile.get(rel)!.sort((a, b) => a.startLine - b.startLine);
    const ranges: Range[] = [];
    for (const c of cs) {
      const last = ranges[ranges.length - 1];
      // Adjacent chunks join seamlessly; gaps are marked with an ellipsis by renderFile.
      if (last && last.endLine + 1 === c.startLine) ranges[ranges.length - 1] = { startLine: last.startLine, endLine: c.endLine, text: `${last.text}\n${c.text}` };
      else ranges.push({ startLine: c.startLine, endLine: c.endLine, text: c.text });
    }
    const total = totalLines.get(rel) ?? 0;
    const whole = cs.length === chunkCount.get(rel);
    body += renderFile(rel, ranges, total, whole);
    files.push({ relPath: rel, whole, ranges: ranges.map((r) => ({ startLine: r.startLine, endLine: r.endLine })), totalLines: total });
  }
  // listed < 0: excerpts, which carry no note about the rest of the repository.
  const note = listed < 0 ? '' : leftOutNote(listed - files.length, []);
  return { text: header + body + note, files };
}

/** Question terms found in the path: the file name counts double. */
export function pathScore(relPath: string, terms: readonly string[]): number {
  if (terms.length === 0) return 0;
  const base = relPath.slice(relPath.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
  const baseParts = new Set([...splitIdentifier(base), splitIdentifier(base).join('')]);
  const dirParts = new Set(
    relPath.split('/').slice(0, -1).flatMap((seg) => {
      const parts = splitIdentifier(seg);
      return [...parts, parts.join('')];
    }),
  );
  let s = 0;
  for (const t of terms) {
    if (baseParts.has(t)) s += 2;
    else if (dirParts.has(t)) s += 1;
    else if (t.length >= 4 && base.toLowerCase().includes(t)) s += 1;
  }
  return s;
}

function depthOf(rel: string): number {
  let d = 0;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 47) d++;
  return d;
}

function lineCount(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

function trimEnd(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ExcerptOptions extends Omit<GatherOptions, 'outlineMaxLines'> {
  /** A listing from an earlier gather (no listing pass). */
  entries: readonly FileEntry[];
  /** Files already shown (e.g. in the pinned repository block). */
  skipPaths?: ReadonlySet<string>;
}

/**
 * Question-specific excerpts without outline or note, for a follow-up whose pinned repository block
 * lacks what the new question is about. Only chunks with a positive relevance score are taken.
 */
export async function gatherExcerpts(source: FileSource, opts: ExcerptOptions): Promise<RepositoryContext> {
  const entries = opts.skipPaths ? opts.entries.filter((e) => !opts.skipPaths!.has(e.relPath)) : [...opts.entries];
  const budget = Math.max(0, Math.floor(opts.budgetTokens));
  return rankAndPack(source, opts, entries, '', 0, budget, null, 0, Date.now(), true);
}
