// A conversation about a repository: context gathering, prompt assembly, SelfExtend choice and
// streaming generation. No `vscode` here: the extension and the CLI both drive this class.
//
// KV-cache reuse: the repository block is the first (system) message and is kept identical across
// the turns of a chat (whole-repository mode is question-independent; a ranked selection is pinned
// on the first turn and re-rendered from the same files/ranges), so the engine's prefix match serves
// it from the cache and a follow-up prefills only the new turn. When a file in the block changes,
// the block differs from that file's header on and the engine recomputes from the first differing
// token: earlier files (path order) stay cached. Changing G/W invalidates the cache (positions change).
import type { Model, FinishReason } from '../../../gpu/engine/types';
import type { ChatMessage } from '../../../gpu/tokenizer/types';
import type { FileSource } from '../workspace/types';
import type { SkipSummary } from '../workspace/skip-report';
import { gatherExcerpts, gatherRepository, type EditorContext, type GatherProgress, type RepositoryContext } from '../context/gather';
import { rerenderContext } from '../context/refresh';
import { throwIfAborted } from '../util/abort';
import { encodePrompt, systemMessage, tokenCounter, userMessage, SYSTEM_PROMPT } from './prompt';
import { runGeneration } from './generation';
import { RequestQueue } from './queue';
import type { AssistantSettings } from './settings';
import { resolveWindow, type ExtendedWindow } from './window';

export interface ChatTurn {
  /** The user message content exactly as sent (question plus any selection), so re-encoding the
   * history reproduces the same tokens and the cache keeps matching. */
  user: string;
  question: string;
  answer: string;
  files: string[];
}

export type AssistantProgress =
  | ({ stage: 'gathering' } & GatherProgress)
  | { stage: 'prefill'; done: number; total: number }
  | { stage: 'generating'; tokens: number };

export interface AskOptions {
  question: string;
  editor?: EditorContext;
  /** Selected code; it goes into this turn's user message (not the stable repository prefix). */
  selection?: { label: string; text: string };
  signal?: AbortSignal;
  onProgress?: (p: AssistantProgress) => void;
  onToken?: (text: string) => void;
  /** Called once the prompt is built, before generation starts: what went in and the window, so a UI
   * can show context chips and the meter before the first token. Not called when the request fails earlier. */
  onContext?: (ctx: PromptContext) => void;
  /** Gather the repository again instead of reusing this chat's pinned selection. */
  refreshContext?: boolean;
}

export interface ContextReport {
  mode: RepositoryContext['mode'];
  tokens: number;
  filesListed: number;
  leftOut: { count: number; examples: string[] };
  notIndexed: number;
  skipped: SkipSummary;
}

/** What a prompt holds, known before generation starts (AskOptions.onContext). */
export interface PromptContext {
  /** Paths whose contents went into the prompt, in prompt order. */
  files: string[];
  /** The subset of `files` of which only some line ranges went in. */
  partialFiles: string[];
  context: ContextReport;
  /** Tokens of the encoded prompt (the engine may add a BOS token). */
  promptTokens: number;
  window: ExtendedWindow;
  /** History turns dropped from this prompt to make room (oldest first). */
  droppedTurns: number;
}

export interface AnswerResult {
  answer: string;
  /** Paths whose contents went into the prompt, in prompt order. */
  files: string[];
  /** The subset of `files` of which only some line ranges went in. */
  partialFiles: string[];
  context: ContextReport;
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  window: ExtendedWindow;
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
  finishReason: FinishReason;
  /** History turns dropped from this prompt to make room (oldest first). */
  droppedTurns: number;
  /** Set when the prompt is not in the model's chat format: why, in words (EncodedPrompt.fallback). */
  promptFallback?: string;
}

export interface ChatSessionDeps {
  model: Model;
  /** null when there is no folder open: questions are answered without repository context. */
  source: FileSource | null;
  /** Read on every request, so settings changes (G, W, sampling) apply to the next request. */
  settings: () => AssistantSettings;
  /** Shared by everything that uses the same model. */
  queue?: RequestQueue;
  log?: (line: string) => void;
  systemPrompt?: string;
}

/** Fraction of the window kept free on the first turn so follow-ups fit without re-packing. */
const FOLLOW_UP_RESERVE = 0.1;
/** Template tokens around each message (role markers, separators), estimated generously. */
const PER_MESSAGE_OVERHEAD = 12;

export class ChatSession {
  private turns: ChatTurn[] = [];
  private pinned: { context: RepositoryContext; budget: number; windowKey: string } | null = null;
  private readonly queue: RequestQueue;
  /** Token counts by exact text: follow-ups re-render the same file blocks, and tokenizing them again
   * would add to every follow-up's time to first token. Bounded; cleared when full or the model changes. */
  private countMemo = new Map<string, number>();
  private memoModel: Model | null = null;

  constructor(private readonly deps: ChatSessionDeps) {
    this.queue = deps.queue ?? new RequestQueue();
  }

  get history(): readonly ChatTurn[] {
    return this.turns;
  }

  /** Restores persisted turns (the host stores them); the repository block is re-gathered next time. */
  restore(turns: readonly ChatTurn[]): void {
    this.turns = turns.map((t) => ({ ...t, files: [...t.files] }));
    this.pinned = null;
  }

  reset(): void {
    this.turns = [];
    this.pinned = null;
  }

  private counter(model: Model): (s: string) => number {
    if (this.memoModel !== model) {
      this.countMemo = new Map();
      this.memoModel = model;
    }
    const raw = tokenCounter(model);
    return (s: string): number => {
      if (s.length < 64) return raw(s);
      let n = this.countMemo.get(s);
      if (n === undefined) {
        if (this.countMemo.size >= 20_000) this.countMemo.clear();
        n = raw(s);
        this.countMemo.set(s, n);
      }
      return n;
    };
  }

  /** Requests are queued behind any running request on the same model (never interleaved). */
  ask(opts: AskOptions): Promise<AnswerResult> {
    return this.queue.run(() => this.askNow(opts));
  }

  private async askNow(opts: AskOptions): Promise<AnswerResult> {
    const { model } = this.deps;
    const settings = this.deps.settings();
    const win = resolveWindow(settings.selfExtend, model.config.contextLength, model.maxContext);
    const count = this.counter(model);
    const answerReserve = Math.min(settings.maxNewTokens, Math.floor(win.window / 4));
    const system = this.deps.systemPrompt ?? SYSTEM_PROMPT;
    const user = userMessage(opts.question, opts.selection);
    const historyTokens = this.turns.reduce((s, t) => s + count(t.user) + count(t.answer) + 2 * PER_MESSAGE_OVERHEAD, 0);
    const fixed = count(system) + count(user.content) + 3 * PER_MESSAGE_OVERHEAD + 8;
    const windowKey = `${win.groupSize}/${win.neighborWindow}/${win.window}`;

    // 1. The repository block: pinned for follow-ups, gathered on the first turn. A second attempt
    // with a smaller budget covers template overhead beyond the estimate.
    let context: RepositoryContext | null = null;
    let tokens: number[] = [];
    let promptFallback: string | undefined;
    let first = 0;
    let cut = 0;
    let extra: { text: string; files: string[] } | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      context = null;
      extra = null;
      if (this.deps.source) {
        const onGather = (p: GatherProgress): void => opts.onProgress?.({ stage: 'gathering', ...p });
        const reuse = this.pinned && !opts.refreshContext && this.pinned.windowKey === windowKey ? this.pinned : null;
        if (reuse && reuse.context.mode === 'ranked') {
          context = await rerenderContext(this.deps.source, reuse.context, count, opts.signal);
          if (context.tokens > reuse.budget) context = null; // files grew: gather afresh below
          // The pinned block was ranked for an earlier question: add excerpts relevant to this one to
          // this turn's message (after the cached prefix), within the room left.
          const room = win.window - answerReserve - fixed - historyTokens - (context?.tokens ?? 0) - 32;
          const budget = Math.min(room, Math.floor(win.window / 4));
          if (context && attempt === 0 && budget >= 64) {
            const whole = new Set(context.files.filter((f) => f.whole).map((f) => f.relPath));
            const ex = await gatherExcerpts(this.deps.source, {
              question: opts.question, budgetTokens: budget, countTokens: count, editor: opts.editor, signal: opts.signal, onProgress: onGather,
              entries: reuse.context.entries, skipPaths: whole,
            });
            extra = ex.files.length > 0 ? { text: ex.text, files: ex.files.map((f) => f.relPath) } : null;
          }
        }
        if (!context) {
          const budget = Math.max(0, (reuse?.budget ?? win.window - answerReserve - fixed - historyTokens - Math.floor(win.window * FOLLOW_UP_RESERVE)) - cut);
          context = await gatherRepository(this.deps.source, {
            question: opts.question, budgetTokens: budget, countTokens: count, editor: opts.editor, signal: opts.signal, onProgress: onGather,
          });
          this.pinned = { context, budget, windowKey };
        }
        this.deps.log?.(`context: ${context.mode}, ${context.files.length}/${context.filesListed} files, ${context.tokens} tokens; ${win.description}`);
      }
      throwIfAborted(opts.signal);

      // 2. Prompt: stable system prefix, then history (oldest dropped first when short of room), then the question.
      const sys = systemMessage(context?.text ?? '', system);
      first = 0;
      for (;;) {
        const messages: ChatMessage[] = [sys];
        for (const t of this.turns.slice(first)) messages.push({ role: 'user', content: t.user }, { role: 'assistant', content: t.answer });
        messages.push(extra ? { role: 'user', content: `Additional excerpts for this question:\n${extra.text}\n${user.content}` } : user);
        ({ tokens, fallback: promptFallback } = encodePrompt(model, messages));
        if (tokens.length <= win.window - answerReserve || first >= this.turns.length) break;
        first++;
      }
      const overflow = tokens.length - (win.window - answerReserve);
      if (overflow <= 0 || !context) break;
      if (extra) continue; // drop the follow-up excerpts first: the cached block stays as it is
      if (context.files.length === 0) break;
      cut += overflow + 32;
      this.pinned = null;
    }
    if (tokens.length >= win.window) {
      throw new Error(
        `The prompt needs ${tokens.length} tokens but the window is ${win.window} (${win.description}). ` +
          'Shorten the question or selection, start a new chat, or raise the SelfExtend target context / group size.',
      );
    }

    const files = [...new Set([...(context?.files.map((f) => f.relPath) ?? []), ...(extra?.files ?? [])])];
    const partialFiles = files.filter((f) => extra?.files.includes(f) || context?.files.find((c) => c.relPath === f)?.whole === false);
    const report: ContextReport = {
      mode: context?.mode ?? 'empty', tokens: context?.tokens ?? 0, filesListed: context?.filesListed ?? 0,
      leftOut: context?.leftOut ?? { count: 0, examples: [] }, notIndexed: context?.notIndexed ?? 0,
      skipped: context?.skipped ?? { total: 0, byReason: {}, lossyDecoded: { count: 0, examples: [] } },
    };
    opts.onContext?.({ files, partialFiles, context: report, promptTokens: tokens.length, window: win, droppedTurns: first });
    throwIfAborted(opts.signal);

    // 3. Generate.
    let generated = 0;
    const stats = await runGeneration(model, {
      tokens, selfExtend: win.params, settings, signal: opts.signal,
      maxTokens: Math.min(settings.maxNewTokens, win.window - tokens.length),
      onPrefill: (done, total) => opts.onProgress?.({ stage: 'prefill', done, total }),
      onToken: (text) => {
        generated++;
        opts.onProgress?.({ stage: 'generating', tokens: generated });
        opts.onToken?.(text);
      },
    });
    // History keeps the question without excerpts: later prompts stay short, at the price of
    // recomputing from this turn on (the repository prefix before it stays cached).
    this.turns.push({ user: user.content, question: opts.question, answer: stats.text, files });
    this.deps.log?.(`answer: prompt ${stats.promptTokens} tokens (${stats.cachedTokens} cached), ttft ${stats.ttftMs.toFixed(0)} ms, ${stats.decodeTps.toFixed(1)} tok/s, ${stats.finishReason}`);
    return {
      answer: stats.text, files, partialFiles, context: report,
      promptTokens: stats.promptTokens, cachedTokens: stats.cachedTokens, generatedTokens: stats.generatedTokens, window: win,
      ttftMs: stats.ttftMs, prefillTps: stats.prefillTps, decodeTps: stats.decodeTps, finishReason: stats.finishReason, droppedTurns: first,
      ...(promptFallback !== undefined ? { promptFallback } : {}),
    };
  }
}
