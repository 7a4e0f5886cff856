// Summaries of a file or selection. Text that fits the extended window is summarized in one request;
// longer text is cut into window-sized parts, each part summarized, then the summaries summarized
// (recursively, should they still not fit): chunk → summaries → summary of summaries.
import type { Model } from '../../../gpu/engine/types';
import type { ChatMessage } from '../../../gpu/tokenizer/types';
import { languageOf, fenceFor } from '../context/language';
import { displayName } from '../workspace/names';
import { CancelledError, throwIfAborted } from '../util/abort';
import { encodeMessages, tokenCounter } from './prompt';
import { runGeneration, type GenerationStats } from './generation';
import { RequestQueue } from './queue';
import type { AssistantSettings } from './settings';
import { resolveWindow, type ExtendedWindow } from './window';

export type SummaryProgress =
  | { stage: 'part'; level: number; index: number; count: number }
  | { stage: 'final'; level: number }
  | { stage: 'prefill'; done: number; total: number };

export interface SummarizeOptions {
  text: string;
  /** What is being summarized, e.g. "src/engine.ts" or "src/engine.ts lines 10-80". */
  label: string;
  /** Path for the fence language tag. */
  relPath?: string;
  signal?: AbortSignal;
  onProgress?: (p: SummaryProgress) => void;
  /** Streams the final summary only (part summaries are intermediate). */
  onToken?: (text: string) => void;
}

export interface SummaryResult {
  summary: string;
  /** 1 when the text fit in one request. */
  requests: number;
  /** 0: single request; 1: parts + combine; 2+: summaries of summaries. */
  levels: number;
  inputTokens: number;
  /** Of the final request. */
  promptTokens: number;
  cachedTokens: number;
  ttftMs: number;
  decodeTps: number;
  window: ExtendedWindow;
}

const SYSTEM = 'You are a precise technical writer. Summarize source code and documents accurately and concisely.';
const OVERHEAD = 96;

export async function summarizeText(
  model: Model, settings: AssistantSettings, opts: SummarizeOptions, queue: RequestQueue = new RequestQueue(),
): Promise<SummaryResult> {
  return queue.run(async () => {
    const win = resolveWindow(settings.selfExtend, model.config.contextLength, model.maxContext);
    const count = tokenCounter(model);
    const answer = Math.max(1, Math.min(settings.maxNewTokens, Math.floor(win.window / 4)));
    const available = win.window - answer - OVERHEAD - count(SYSTEM) - count(opts.label);
    if (available < 64) throw new Error(`The window (${win.window} tokens, ${win.description}) is too small to summarize anything; raise the target context or group size.`);
    const inputTokens = count(opts.text);
    let requests = 0;
    const ask = async (content: string, maxTokens: number, final: boolean): Promise<GenerationStats> => {
      throwIfAborted(opts.signal);
      const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content }];
      const tokens = encodeMessages(model, messages);
      requests++;
      const stats = await runGeneration(model, {
        tokens, selfExtend: win.params, settings, signal: opts.signal, maxTokens: Math.min(maxTokens, win.window - tokens.length),
        onToken: final ? opts.onToken : undefined, onPrefill: (done, total) => opts.onProgress?.({ stage: 'prefill', done, total }),
      });
      if (stats.finishReason === 'aborted') throw new CancelledError('summary cancelled');
      return stats;
    };

    let text = opts.text.endsWith('\n') ? opts.text.slice(0, -1) : opts.text;
    let what = displayName(opts.label); // a file name: untrusted text
    let level = 0;
    // Each level shrinks the text (parts of `available` tokens become summaries of at most `partAnswer`).
    for (;;) {
      if (count(text) <= available) {
        opts.onProgress?.({ stage: 'final', level });
        const fence = fenceFor(text);
        const prompt = level === 0
          ? `Summarize ${what}: its purpose, main parts, and anything notable.\n\n${fence}${languageOf(opts.relPath ?? '')}\n${text}\n${fence}`
          : `These are summaries of consecutive parts of ${what}. Write one coherent summary of the whole: its purpose, main parts, and anything notable.\n\n${text}`;
        const s = await ask(prompt, answer, true);
        return {
          summary: s.text.trim(), requests, levels: level, inputTokens, promptTokens: s.promptTokens, cachedTokens: s.cachedTokens,
          ttftMs: s.ttftMs, decodeTps: s.decodeTps, window: win,
        };
      }
      level++;
      if (level > 6) throw new Error(`${opts.label} is too long to summarize in this window even hierarchically.`);
      const parts = splitByTokens(text, available, count);
      // Part summaries share the final request's room; never longer than the user's answer limit.
      const partAnswer = Math.max(Math.min(32, answer), Math.min(answer, Math.floor(available / Math.max(2, parts.length)) - 16));
      const summaries: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        opts.onProgress?.({ stage: 'part', level, index: i, count: parts.length });
        const p = parts[i]!;
        const fence = fenceFor(p.text);
        const prompt = level === 1
          ? `This is part ${i + 1} of ${parts.length} of ${what} (lines ${p.startLine}-${p.endLine}). Summarize this part briefly.\n\n${fence}${languageOf(opts.relPath ?? '')}\n${p.text}\n${fence}`
          : `These are summaries of parts of ${what}. Condense them into one brief summary.\n\n${p.text}`;
        const s = await ask(prompt, partAnswer, false);
        summaries.push(level === 1 ? `Part ${i + 1} (lines ${p.startLine}-${p.endLine}): ${s.text.trim()}` : s.text.trim());
      }
      text = summaries.join('\n\n');
      what = displayName(opts.label);
    }
  });
}

interface Part {
  text: string;
  startLine: number;
  endLine: number;
}

/** Line-aligned parts of at most `limit` tokens (an over-long line is cut by characters). */
export function splitByTokens(text: string, limit: number, count: (s: string) => number): Part[] {
  const lines = text.split('\n');
  const parts: Part[] = [];
  let cur: string[] = [];
  let curTokens = 0;
  let start = 1;
  const flush = (end: number): void => {
    if (cur.length > 0) parts.push({ text: cur.join('\n'), startLine: start, endLine: end });
    cur = [];
    curTokens = 0;
    start = end + 1;
  };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    let t = count(line) + 1;
    if (t > limit) {
      // Keep a prefix that fits; a single line larger than the window is rare (minified data).
      let keep = Math.floor((line.length * (limit - 8)) / t);
      while (keep > 0 && count(line.slice(0, keep)) + 1 > limit - 8) keep = Math.floor(keep * 0.8);
      line = `${line.slice(0, keep)} …`;
      t = count(line) + 1;
    }
    if (curTokens + t > limit) flush(i);
    cur.push(line);
    curTokens += t;
  }
  flush(lines.length);
  return parts;
}
