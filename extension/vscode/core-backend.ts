// Adapts extension/core (ChatSession, summarizeText, runGeneration) to the chat UI's AnswerBackend
// port: one ChatSession per chat, one request queue per loaded model (so the chat view, summaries,
// the chat participant and the language-model provider never interleave on the KV cache), and
// progress mapped to the UI's phases. No vscode import: the host passes settings, source and editor.
import type { Model, FinishReason } from '../../gpu/engine/types';
import type { FileSource } from '../core/workspace/types';
import type { EditorContext, GatherProgress } from '../core/context/gather';
import { ChatSession, type AssistantProgress, type ChatTurn as CoreTurn, type PromptContext } from '../core/chat/chat-session';
import { summarizeText } from '../core/chat/summarize';
import { formatDuration, type SpeedEstimate } from '../core/chat/summary-progress';
import { runGeneration } from '../core/chat/generation';
import { encodePrompt, tokenCounter, userMessage } from '../core/chat/prompt';
import { RequestQueue } from '../core/chat/queue';
import type { AssistantSettings } from '../core/chat/settings';
import { resolveWindow, type ExtendedWindow } from '../core/chat/window';
import type { AnswerTimings, ContextMeter, FinishKind } from '../protocol';
import type { AnswerBackend, AnswerContext, AnswerEvents, AnswerRequest, AnswerResult, AskRequest, ChatCompletionRequest, HistoryMessage, ModelInfo, SummarizeRequest } from './answer-backend';
import { baseName, type LoadReporter, type ModelManager } from './model-manager';
import { describeError } from './error-actions';
import { CancelledError } from '../core/util/abort';

export interface CoreBackendDeps {
  models: ModelManager;
  settings(): AssistantSettings;
  /** null when no folder is open. */
  source(): FileSource | null;
  editor(): EditorContext | undefined;
  log(line: string): void;
  /** Extra reporter for model loading (the progress notification). */
  loadReporter?(): LoadReporter | undefined;
}

/** "packing 120/800, 45,000 tokens" (files tokenized, or chunks considered when ranking): shown under "Reading repository". */
export function gatherDetail(p: GatherProgress): string {
  if (p.phase !== 'packing' || p.tokens === undefined) return p.phase;
  return `packing ${p.done}/${p.total}, ${p.tokens.toLocaleString('en-US')} tokens`;
}

export function finishKind(r: FinishReason): FinishKind {
  switch (r) {
    case 'aborted':
      return 'stopped';
    case 'length':
      return 'length';
    case 'context-full':
      return 'context-full';
    default:
      return 'done';
  }
}

export function meterFor(win: ExtendedWindow, usedTokens: number, enabled: boolean): ContextMeter {
  return {
    usedTokens,
    windowTokens: win.window,
    group: win.groupSize,
    neighbor: win.neighborWindow,
    trained: win.trainedContext,
    selfExtendEnabled: enabled && win.groupSize > 1,
  };
}

/** Rebuilds core turns from the UI's stored history (after a reload the session starts empty). */
export function coreTurns(history: readonly HistoryMessage[]): CoreTurn[] {
  const turns: CoreTurn[] = [];
  for (let i = 0; i + 1 < history.length; i += 2) {
    const q = history[i]!;
    const a = history[i + 1]!;
    if (q.role !== 'user' || a.role !== 'assistant') continue;
    turns.push({ user: userMessage(q.content).content, question: q.content, answer: a.content, files: [] });
  }
  return turns;
}

export class CoreBackend implements AnswerBackend {
  private model: Model | undefined;
  private queue = new RequestQueue();
  private readonly sessions = new Map<string, ChatSession>();
  private readonly active = new Set<AbortController>();
  private disposed = false;
  /** Speeds last measured on this model (an answer or a summary), for the estimate shown before a long summary. */
  private speed: SpeedEstimate | undefined;

  constructor(private readonly deps: CoreBackendDeps) {}

  modelInfo(): ModelInfo | undefined {
    const s = this.deps.settings();
    if (!s.modelPath) return undefined;
    const m = this.deps.models.peek();
    let maxInput = s.selfExtend.targetContext;
    if (m) {
      try {
        maxInput = resolveWindow(s.selfExtend, m.config.contextLength, m.maxContext).window;
      } catch {
        maxInput = m.config.contextLength;
      }
    }
    return { name: baseName(s.modelPath), family: m?.config.architecture ?? 'gguf', maxInputTokens: maxInput, maxOutputTokens: s.maxNewTokens };
  }

  countTokens(text: string): number {
    const m = this.deps.models.peek();
    // Before the model is loaded, ~4 characters per token is the usual estimate for code and English.
    return m ? tokenCounter(m)(text) : Math.ceil(text.length / 4);
  }

  forget(chatId: string): void {
    this.sessions.delete(`${chatId}:ws`);
    this.sessions.delete(`${chatId}:plain`);
  }

  /** Aborts every request in flight (extension shutdown); later requests fail as cancelled. */
  dispose(): void {
    this.disposed = true;
    for (const a of this.active) a.abort();
    this.active.clear();
    this.sessions.clear();
  }

  async answer(outer: AnswerRequest, ev: AnswerEvents): Promise<AnswerResult> {
    const t0 = Date.now();
    // Each request runs on its own signal, linked to the caller's, so dispose() can stop them all.
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort();
    if (outer.signal.aborted || this.disposed) abort.abort();
    else outer.signal.addEventListener('abort', onOuterAbort, { once: true });
    this.active.add(abort);
    const req: AnswerRequest = { ...outer, signal: abort.signal };
    try {
      if (this.disposed) throw new CancelledError('The extension is shutting down.');
      const model = await this.loadModel(req.signal, ev);
      switch (req.kind) {
        case 'ask':
          return await this.ask(model, req, ev, t0);
        case 'summarize':
          return await this.summarize(model, req, ev, t0);
        case 'chat':
          return await this.chat(model, req, ev, t0);
      }
    } catch (e) {
      const d = describeError(e);
      if (d.dropModel) {
        this.deps.log(`dropping the model after: ${d.message}`);
        this.deps.models.unload();
      }
      throw e;
    } finally {
      outer.signal.removeEventListener('abort', onOuterAbort);
      this.active.delete(abort);
      ev.progress('idle');
    }
  }

  private async loadModel(signal: AbortSignal, ev: AnswerEvents): Promise<Model> {
    const extra = this.deps.loadReporter?.();
    if (!this.deps.models.peek()) ev.progress('loading-model', 0);
    const model = await this.deps.models.get({
      progress: (fraction, detail) => {
        ev.progress('loading-model', fraction, detail);
        extra?.progress(fraction, detail);
      },
    }, signal);
    if (model !== this.model) {
      // A new model (or a reload): sessions and their cached prefixes belong to the old one.
      this.model = model;
      this.queue = new RequestQueue();
      this.sessions.clear();
      this.speed = undefined;
    }
    return model;
  }

  private window(model: Model): { settings: AssistantSettings; win: ExtendedWindow } {
    const settings = this.deps.settings();
    // Resolved before any work so a bad G/W fails fast with an actionable error.
    const win = resolveWindow(settings.selfExtend, model.config.contextLength, model.maxContext);
    return { settings, win };
  }

  private progressMapper(ev: AnswerEvents): (p: AssistantProgress) => void {
    const started = Date.now();
    let firstTokenAt = 0;
    return (p) => {
      if (p.stage === 'gathering') ev.progress('reading-repository', p.total > 0 ? p.done / p.total : undefined, gatherDetail(p));
      else if (p.stage === 'prefill') ev.progress('prefill', p.total > 0 ? p.done / p.total : undefined);
      else {
        if (p.tokens === 1) firstTokenAt = Date.now();
        if (p.tokens % 8 === 0 && firstTokenAt) {
          const tps = (p.tokens - 1) / Math.max(1e-3, (Date.now() - firstTokenAt) / 1000);
          ev.progress('generating', undefined, `${tps.toFixed(1)} tok/s`);
        } else if (p.tokens === 1) ev.progress('generating', undefined, `first token after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    };
  }

  private sessionFor(model: Model, req: AskRequest): ChatSession {
    const useWorkspace = req.workspace !== false;
    const key = `${req.chatId}:${useWorkspace ? 'ws' : 'plain'}`;
    let session = this.sessions.get(key);
    if (!session || req.chatId === 'participant') {
      session = new ChatSession({ model, source: useWorkspace ? this.deps.source() : null, settings: this.deps.settings, queue: this.queue, log: this.deps.log });
      session.restore(coreTurns(req.history));
      if (req.chatId !== 'participant') this.sessions.set(key, session);
    } else if (session.history.length !== req.history.length / 2) {
      // The UI's history and the session diverged (failed turn, restored chat): follow the UI.
      session.restore(coreTurns(req.history));
    }
    return session;
  }

  private async ask(model: Model, req: AskRequest, ev: AnswerEvents, t0: number): Promise<AnswerResult> {
    const { settings, win } = this.window(model);
    this.deps.log(`ask (chat ${req.chatId}): ${win.description}`);
    const session = this.sessionFor(model, req);
    // Chips and meter go out as soon as the prompt is built, before prefill and the first token.
    const contextOf = (c: PromptContext): AnswerContext => ({
      chips: c.files.map((path) => (c.partialFiles.includes(path) ? { path, partial: true } : { path })),
      meter: meterFor(c.window, c.promptTokens, settings.selfExtend.enabled),
      omittedFiles: c.context.leftOut.count,
      leftOut: c.context.leftOut.examples,
    });
    let sent: AnswerContext | undefined;
    const res = await session.ask({
      question: req.question, selection: req.pinned, editor: this.deps.editor(), signal: req.signal, onProgress: this.progressMapper(ev), onToken: (t) => ev.token(t),
      onContext: (c) => {
        sent = contextOf(c);
        ev.context(sent);
      },
    });
    if (res.prefillTps > 0 && res.decodeTps > 0 && res.generatedTokens > 1) this.speed = { prefillTps: res.prefillTps, decodeTps: res.decodeTps };
    // The engine may count one more prompt token (BOS) than the encoded prompt: keep the meter exact.
    const final = contextOf(res);
    if (!sent || sent.meter.usedTokens !== final.meter.usedTokens) ev.context(final);
    this.deps.log(
      `answered: ${res.files.length} files in context (${res.context.mode}, ${res.context.tokens} tokens of ${res.context.filesListed} listed), G=${res.window.groupSize} W=${res.window.neighborWindow} window ${res.window.window}; ` +
        `prompt ${res.promptTokens} tokens (${res.cachedTokens} cached), ttft ${res.ttftMs} ms, prefill ${res.prefillTps.toFixed(0)} tok/s, decode ${res.decodeTps.toFixed(1)} tok/s, ${res.generatedTokens} tokens, ${res.finishReason}` +
        (res.droppedTurns ? `; ${res.droppedTurns} old turns dropped to fit` : ''),
    );
    if (res.context.leftOut.count > 0) this.deps.log(`left out ${res.context.leftOut.count} files, e.g. ${res.context.leftOut.examples.join(', ')}`);
    if (res.context.skipped.total > 0) this.deps.log(`skipped ${res.context.skipped.total} files: ${Object.entries(res.context.skipped.byReason).map(([k, v]) => `${k} ${v?.count ?? 0}`).join(', ')}`);
    return { finish: finishKind(res.finishReason), timings: this.timings(res, t0), report: { kind: 'ask', ask: res }, ...fallbackOf(res) };
  }

  private async summarize(model: Model, req: SummarizeRequest, ev: AnswerEvents, t0: number): Promise<AnswerResult> {
    const settings = this.deps.settings();
    const label = req.selection ? `${req.label} lines ${req.selection.startLine}-${req.selection.endLine}` : req.label;
    // The file is the context and is known up front: show it (with an estimate of its tokens) right
    // away, so a summary that is stopped or fails still says what it was about.
    const chips = [{ path: req.label, partial: req.selection !== undefined }];
    const base = resolveWindow(settings.selfExtend, model.config.contextLength, model.maxContext);
    ev.context({ chips, meter: meterFor(base, Math.min(base.window, this.countTokens(req.text)), settings.selfExtend.enabled), omittedFiles: 0 });
    let generated = 0;
    const res = await summarizeText(model, settings, {
      text: req.text,
      label,
      relPath: req.label,
      signal: req.signal,
      speed: this.speed,
      // One steady progress for the whole summary; the requests' own prefill progress is folded into it.
      onOverall: (o) => {
        const where = o.partsTotal > 0 ? (o.stage === 'part' ? `part ${Math.min(o.partsDone + 1, o.partsTotal)} of ${o.partsTotal}` : 'combining part summaries') : undefined;
        const left = o.etaMs !== undefined ? (o.etaMs > 0 ? `${formatDuration(o.etaMs)} left` : 'finishing') : undefined;
        ev.progress('summarizing', o.fraction, [where, left].filter(Boolean).join(' · ') || undefined);
      },
      onPart: (p) => ev.part?.(p),
      onToken: (t) => {
        generated++;
        ev.token(t);
      },
      confirm: req.confirmLarge ? (plan) => req.confirmLarge!({ parts: plan.parts, requests: plan.requests, inputTokens: plan.inputTokens, estimateMs: plan.estimateMs }) : undefined,
    }, this.queue);
    this.deps.log(`summarize ${label}: ${res.window.description}; ${res.plan.parts} parts planned, ${res.plan.requests} requests`);
    const t = res.totals;
    if (t.decodeTps > 0 && t.prefillTps > 0) this.speed = { prefillTps: t.prefillTps, decodeTps: t.decodeTps };
    if (res.finishReason === 'declined') {
      ev.token(`Not summarized: ${label} is ${res.inputTokens.toLocaleString('en-US')} tokens, ${res.plan.parts} parts in this window` +
        (res.plan.estimateMs !== undefined ? ` (${formatDuration(res.plan.estimateMs)})` : '') +
        '. Summarize a selection instead, or run the summary again and choose to go on.');
    } else {
      ev.context({ chips, meter: meterFor(res.window, res.promptTokens || Math.min(res.window.window, res.inputTokens), settings.selfExtend.enabled), omittedFiles: 0 });
    }
    this.deps.log(
      `summarized ${label} (${res.finishReason}): ${res.inputTokens} input tokens, ${res.requests} requests, ${res.levels} levels, ${res.parts.length} of ${res.plan.parts} parts; ` +
        `${t.promptTokens} prompt tokens (${t.cachedTokens} cached), ${t.generatedTokens} generated, first output ${t.firstOutputMs} ms, prefill ${t.prefillTps.toFixed(0)} tok/s, decode ${t.decodeTps.toFixed(1)} tok/s, ${t.totalMs} ms`,
    );
    // Figures over every request of the summary: a stopped summary still says what it did.
    return {
      finish: res.finishReason === 'done' ? 'done' : 'stopped',
      timings: {
        promptTokens: t.promptTokens, cachedTokens: t.cachedTokens, generatedTokens: t.generatedTokens || generated, ttftMs: t.firstOutputMs, decodeTps: t.decodeTps,
        totalMs: Date.now() - t0, ...(res.plan.parts > 0 ? { summaryParts: { done: res.parts.length, total: res.plan.parts } } : {}),
      },
      report: { kind: 'summarize', summary: res },
      ...fallbackOf(res),
    };
  }

  private async chat(model: Model, req: ChatCompletionRequest, ev: AnswerEvents, t0: number): Promise<AnswerResult> {
    const { settings, win } = this.window(model);
    return this.queue.run(async () => {
      const { tokens, fallback } = encodePrompt(model, req.messages);
      if (tokens.length >= win.window) throw new Error(`The request needs ${tokens.length} tokens but the window is ${win.window} (${win.description}).`);
      const stats = await runGeneration(model, {
        tokens, selfExtend: win.params, settings, signal: req.signal,
        maxTokens: Math.min(req.maxTokens ?? settings.maxNewTokens, win.window - tokens.length),
        onToken: (t) => ev.token(t),
      });
      return { finish: finishKind(stats.finishReason), timings: { ...this.timings(stats, t0) }, ...fallbackOf({ promptFallback: fallback }) };
    });
  }

  private timings(r: { promptTokens: number; cachedTokens: number; generatedTokens: number; ttftMs: number; decodeTps: number }, t0: number): AnswerTimings {
    return { promptTokens: r.promptTokens, cachedTokens: r.cachedTokens, generatedTokens: r.generatedTokens, ttftMs: r.ttftMs, decodeTps: r.decodeTps, totalMs: Date.now() - t0 };
  }
}

/** AnswerResult.promptFallback from a core result, absent (not undefined) when the model's format was used. */
function fallbackOf(r: { promptFallback?: string }): { promptFallback?: string } {
  return r.promptFallback !== undefined ? { promptFallback: r.promptFallback } : {};
}
