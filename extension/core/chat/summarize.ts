// Summaries of a file or selection. Text that fits the extended window is summarized in one request;
// longer text is cut into parts as large as the window allows, each part summarized, then the
// summaries summarized (recursively, should they still not fit): chunk → summaries → summary of
// summaries. The whole plan is known before the first request, so progress is one steady fraction
// with an estimate of time left (summary-progress.ts), a caller can be asked before a long run, part
// summaries stream out as they finish, and Stop returns what finished instead of discarding it.
import type { Model } from '../../../gpu/engine/types';
import type { ChatMessage } from '../../../gpu/tokenizer/types';
import { languageOf, fenceFor } from '../context/language';
import { displayName } from '../workspace/names';
import { isCancellation, throwIfAborted } from '../util/abort';
import { encodePrompt, tokenCounter } from './prompt';
import { runGeneration, type GenerationStats } from './generation';
import { RequestQueue } from './queue';
import type { AssistantSettings } from './settings';
import { resolveWindow, type ExtendedWindow } from './window';
import { estimateMs, SummaryTracker, type PlannedRequest, type SpeedEstimate, type SummaryOverall } from './summary-progress';

export type SummaryProgress =
  | { stage: 'part'; level: number; index: number; count: number }
  | { stage: 'final'; level: number }
  | { stage: 'prefill'; done: number; total: number };

/** More first-level parts than this and the caller is asked first (SummarizeOptions.confirm). */
export const LARGE_SUMMARY_PARTS = 20;

/** A finished summary of one part of the text (first level: consecutive line ranges). */
export interface SummaryPart {
  /** 0-based, of `count` parts. */
  index: number;
  count: number;
  /** 1-based, inclusive lines of the summarized text. */
  startLine: number;
  endLine: number;
  /** Model output: render inert (plain text). */
  text: string;
}

/** What a summary will take, known before its first request. */
export interface SummaryPlan {
  /** First-level parts (0 when the text fits one request). */
  parts: number;
  /** Requests in all: parts, any summaries of summaries, the final summary. */
  requests: number;
  inputTokens: number;
  window: ExtendedWindow;
  /** At the speeds given in SummarizeOptions.speed; absent when none is known. */
  estimateMs?: number;
}

export interface SummarizeOptions {
  text: string;
  /** What is being summarized, e.g. "src/engine.ts" or "src/engine.ts lines 10-80". */
  label: string;
  /** Path for the fence language tag. */
  relPath?: string;
  signal?: AbortSignal;
  onProgress?: (p: SummaryProgress) => void;
  /** One steady overall progress with the time left (see summary-progress.ts). */
  onOverall?: (o: SummaryOverall) => void;
  /** Each first-level part summary, as soon as it is finished. */
  onPart?: (p: SummaryPart) => void;
  /** Streams the final summary only (part summaries are intermediate). */
  onToken?: (text: string) => void;
  /** Asked once, before the first request, when the plan has more than LARGE_SUMMARY_PARTS parts;
   * false ends the summary without a request (finishReason 'declined'). */
  confirm?: (plan: SummaryPlan) => boolean | Promise<boolean>;
  /** Speeds measured earlier on this model, for the time estimates before this summary measures its own. */
  speed?: SpeedEstimate;
  /** Clock for the progress reports (tests). */
  now?: () => number;
}

export interface SummaryResult {
  /** The final summary; '' when stopped or declined before it started. */
  summary: string;
  /** 'stopped': Stop was pressed; `parts` holds what finished. */
  finishReason: 'done' | 'stopped' | 'declined';
  /** First-level part summaries that finished, in order. */
  parts: SummaryPart[];
  plan: SummaryPlan;
  /** Requests run (or started, when stopped). 1 when the text fit in one request. */
  requests: number;
  /** 0: single request; 1: parts + combine; 2+: summaries of summaries. */
  levels: number;
  inputTokens: number;
  /** Of the final request (0 when it did not run). */
  promptTokens: number;
  cachedTokens: number;
  ttftMs: number;
  decodeTps: number;
  /** Over every request of this summary. */
  totals: SummaryTotals;
  window: ExtendedWindow;
  /** Set when a request's prompt was not in the model's chat format: why, in words (EncodedPrompt.fallback). */
  promptFallback?: string;
}

export interface SummaryTotals {
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  /** From the start to the first text the user sees (a part summary or the final summary's first token). */
  firstOutputMs: number;
  /** Generated tokens over decoding time, all requests. */
  decodeTps: number;
  prefillTps: number;
  totalMs: number;
}

const SYSTEM = 'You are a precise technical writer. Summarize source code and documents accurately and concisely.';
/** Template tokens and instruction words around the text of a request. */
const OVERHEAD = 96;
/** "Part 12 (lines 1200-1310): " in front of each part summary in the combining request. */
const PART_HEADER = 16;
/** Part summaries shorter than this say too little to be worth combining. */
const MIN_PART_ANSWER = 32;
/** A part answer need not be longer than this, however large the window: it is one of many. */
const MAX_PART_ANSWER = 256;
/** Line-aligned parts come out a little under the limit; plan with this slack. */
const SPLIT_SLACK = 1.05;

interface Budget {
  win: ExtendedWindow;
  /** The final answer's tokens. */
  answer: number;
  /** Room for the text of the final (or single) request. */
  finalRoom: number;
  /** Room for the text of a part request, and the part answer's tokens. */
  partRoom: number;
  partAnswer: number;
}

/** Part answers as long as the final request can take for this many parts. */
function partAnswerFor(parts: number, finalRoom: number, answer: number): number {
  return Math.max(Math.min(MIN_PART_ANSWER, answer), Math.min(answer, MAX_PART_ANSWER, Math.floor(finalRoom / Math.max(2, parts)) - PART_HEADER));
}

function budgetFor(win: ExtendedWindow, settings: AssistantSettings, fixed: number, inputTokens: number): Budget {
  const answer = Math.max(1, Math.min(settings.maxNewTokens, Math.floor(win.window / 4)));
  const finalRoom = win.window - answer - fixed;
  // Parts leave room only for their own (short) answer, not the final one: fewer, larger parts.
  let partAnswer = Math.min(answer, MAX_PART_ANSWER);
  for (let i = 0; i < 4; i++) {
    const parts = Math.ceil((inputTokens * SPLIT_SLACK) / Math.max(1, win.window - partAnswer - fixed));
    const next = partAnswerFor(parts, finalRoom, answer);
    if (next === partAnswer) break;
    partAnswer = next;
  }
  return { win, answer, finalRoom, partRoom: win.window - partAnswer - fixed, partAnswer };
}

/**
 * The window for a summary: the configured one, or, with automatic G, a larger one up to the model's
 * KV capacity when the text needs it (one request, or fewer parts, instead of many small ones).
 */
export function summaryWindow(settings: AssistantSettings, trainedContext: number, kvCapacity: number, needTokens: number): ExtendedWindow {
  const se = settings.selfExtend;
  const base = resolveWindow(se, trainedContext, kvCapacity);
  if (!se.enabled || se.groupSize !== 0 || needTokens <= base.window || base.window >= kvCapacity) return base;
  try {
    const wider = resolveWindow({ ...se, targetContext: Math.min(kvCapacity, needTokens) }, trainedContext, kvCapacity);
    return wider.window > base.window ? wider : base;
  } catch {
    return base; // no G reaches it: parts of the configured window
  }
}

/** Requests a text of `tokens` needs, level by level, with upper-bound prompt and answer sizes. */
function planRequests(tokens: number, b: Budget, fixed: number): { requests: PlannedRequest[]; parts: number } {
  const requests: PlannedRequest[] = [];
  let parts = 0;
  for (let level = 0; level <= 6; level++) {
    if (tokens <= b.finalRoom) {
      requests.push({ prompt: tokens + fixed, answer: b.answer });
      break;
    }
    const n = Math.max(2, Math.ceil((tokens * SPLIT_SLACK) / b.partRoom));
    if (level === 0) parts = n;
    for (let i = 0; i < n; i++) requests.push({ prompt: Math.min(b.partRoom, Math.ceil(tokens / n)) + fixed, answer: b.partAnswer });
    tokens = n * (b.partAnswer + PART_HEADER);
  }
  return { requests, parts };
}

export async function summarizeText(
  model: Model, settings: AssistantSettings, opts: SummarizeOptions, queue: RequestQueue = new RequestQueue(),
): Promise<SummaryResult> {
  return queue.run(async () => {
    const t0 = (opts.now ?? Date.now)();
    const count = tokenCounter(model);
    const fixed = OVERHEAD + count(SYSTEM) + count(opts.label);
    let text = opts.text.endsWith('\n') ? opts.text.slice(0, -1) : opts.text;
    const inputTokens = count(text);
    const initialAnswer = Math.max(1, Math.min(settings.maxNewTokens, 1024));
    const win = summaryWindow(settings, model.config.contextLength, model.maxContext, inputTokens + fixed + initialAnswer);
    const b = budgetFor(win, settings, fixed, inputTokens);
    if (b.finalRoom < 64 || b.partRoom < 64) {
      throw new Error(`The window (${win.window} tokens, ${win.description}) is too small to summarize anything; raise the target context or group size.`);
    }
    // The first level's parts are cut now, so the plan (and the warning) counts them exactly.
    const firstSplit = inputTokens > b.finalRoom ? splitByTokens(text, b.partRoom, count) : null;
    const planned = firstSplit
      ? {
        parts: firstSplit.length,
        requests: [
          ...firstSplit.map((p) => ({ prompt: count(p.text) + fixed, answer: b.partAnswer })),
          ...planRequests(firstSplit.length * (b.partAnswer + PART_HEADER), b, fixed).requests,
        ],
      }
      : planRequests(inputTokens, b, fixed);
    const plan: SummaryPlan = {
      parts: planned.parts, requests: planned.requests.length, inputTokens, window: win,
      ...(opts.speed && opts.speed.prefillTps > 0 && opts.speed.decodeTps > 0 ? { estimateMs: estimateMs(planned.requests, opts.speed) } : {}),
    };

    const parts: SummaryPart[] = [];
    const totals: SummaryTotals = { promptTokens: 0, cachedTokens: 0, generatedTokens: 0, firstOutputMs: 0, decodeTps: 0, prefillTps: 0, totalMs: 0 };
    let decodeS = 0;
    let prefillS = 0;
    let requests = 0;
    let level = 0;
    let promptFallback: string | undefined;
    const elapsed = (): number => (opts.now ?? Date.now)() - t0;
    const result = (finishReason: SummaryResult['finishReason'], final?: GenerationStats): SummaryResult => {
      totals.decodeTps = decodeS > 0 ? totals.generatedTokens / decodeS : 0;
      totals.prefillTps = prefillS > 0 ? (totals.promptTokens - totals.cachedTokens) / prefillS : 0;
      totals.totalMs = elapsed();
      return {
        summary: final?.text.trim() ?? '', finishReason, parts, plan, requests, levels: level, inputTokens,
        promptTokens: final?.promptTokens ?? 0, cachedTokens: final?.cachedTokens ?? 0, ttftMs: final?.ttftMs ?? 0, decodeTps: final?.decodeTps ?? 0,
        totals, window: win, ...(promptFallback !== undefined ? { promptFallback } : {}),
      };
    };

    if (plan.parts > LARGE_SUMMARY_PARTS && opts.confirm && !(await opts.confirm(plan))) return result('declined');
    const tracker = new SummaryTracker(planned.requests, planned.parts, opts.speed, (o) => opts.onOverall?.(o), opts.now);
    const firstOutput = (): void => {
      if (totals.firstOutputMs === 0) totals.firstOutputMs = Math.max(1, elapsed());
    };

    const ask = async (content: string, maxTokens: number, stage: 'part' | 'condense' | 'final'): Promise<GenerationStats> => {
      throwIfAborted(opts.signal);
      const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content }];
      const encoded = encodePrompt(model, messages);
      const tokens = encoded.tokens;
      promptFallback ??= encoded.fallback;
      requests++;
      tracker.start(stage, tokens.length);
      const final = stage === 'final';
      const stats = await runGeneration(model, {
        tokens, selfExtend: win.params, settings, signal: opts.signal, maxTokens: Math.min(maxTokens, win.window - tokens.length),
        onToken: (t) => {
          tracker.token();
          if (final) {
            firstOutput();
            opts.onToken?.(t);
          }
        },
        onPrefill: (done, total) => {
          tracker.prefillProgress(done, total);
          opts.onProgress?.({ stage: 'prefill', done, total });
        },
      });
      totals.promptTokens += stats.promptTokens;
      totals.cachedTokens += stats.cachedTokens;
      totals.generatedTokens += stats.generatedTokens;
      if (stats.decodeTps > 0) decodeS += stats.generatedTokens / stats.decodeTps;
      if (stats.prefillTps > 0) prefillS += Math.max(0, stats.promptTokens - stats.cachedTokens) / stats.prefillTps;
      if (stats.finishReason !== 'aborted') tracker.finish(stats, stage === 'part');
      return stats;
    };

    let what = displayName(opts.label); // a file name: untrusted text
    let finalStats: GenerationStats | undefined;
    try {
      // Each level shrinks the text (parts of `partRoom` tokens become summaries of at most `partAnswer`).
      for (;;) {
        if (count(text) <= b.finalRoom) {
          opts.onProgress?.({ stage: 'final', level });
          const fence = fenceFor(text);
          const prompt = level === 0
            ? `Summarize ${what}: its purpose, main parts, and anything notable.\n\n${fence}${languageOf(opts.relPath ?? '')}\n${text}\n${fence}`
            : `These are summaries of consecutive parts of ${what}. Write one coherent summary of the whole: its purpose, main parts, and anything notable.\n\n${text}`;
          finalStats = await ask(prompt, b.answer, 'final');
          if (finalStats.finishReason === 'aborted') return result('stopped', finalStats);
          tracker.done();
          return result('done', finalStats);
        }
        level++;
        if (level > 6) throw new Error(`${opts.label} is too long to summarize in this window even hierarchically.`);
        const split = level === 1 && firstSplit ? firstSplit : splitByTokens(text, b.partRoom, count);
        const partAnswer = level === 1 ? b.partAnswer : partAnswerFor(split.length, b.finalRoom, b.answer);
        // The plan from here on, now that this level's parts are known exactly.
        const rest = planRequests(split.length * (partAnswer + PART_HEADER), b, fixed).requests;
        tracker.replan([...split.map((p) => ({ prompt: count(p.text) + fixed, answer: partAnswer })), ...rest]);
        const summaries: string[] = [];
        for (let i = 0; i < split.length; i++) {
          opts.onProgress?.({ stage: 'part', level, index: i, count: split.length });
          const p = split[i]!;
          const fence = fenceFor(p.text);
          const prompt = level === 1
            ? `This is part ${i + 1} of ${split.length} of ${what} (lines ${p.startLine}-${p.endLine}). Summarize this part briefly.\n\n${fence}${languageOf(opts.relPath ?? '')}\n${p.text}\n${fence}`
            : `These are summaries of parts of ${what}. Condense them into one brief summary.\n\n${p.text}`;
          const s = await ask(prompt, partAnswer, level === 1 ? 'part' : 'condense');
          if (s.finishReason === 'aborted') return result('stopped');
          const summary = s.text.trim();
          if (level === 1) {
            const part: SummaryPart = { index: i, count: split.length, startLine: p.startLine, endLine: p.endLine, text: summary };
            parts.push(part);
            firstOutput();
            opts.onPart?.(part);
          }
          summaries.push(level === 1 ? `Part ${i + 1} (lines ${p.startLine}-${p.endLine}): ${summary}` : summary);
        }
        text = summaries.join('\n\n');
        what = displayName(opts.label);
        // Part summaries are usually shorter than their limit: the rest of the plan may shrink.
        tracker.replan(planRequests(count(text), b, fixed).requests);
      }
    } catch (e) {
      // Stop keeps what finished; any other failure is an error.
      if (isCancellation(e) && opts.signal?.aborted) return result('stopped', finalStats);
      throw e;
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
