// The host side of the boundary: the one backend entry point of both the extension and the CLI.
// It starts the backend worker on the first request, forwards requests and Stop, serves the worker's
// listing and file reads from the host's FileSource (file bytes are transferred, not copied), and
// turns the worker's messages back into AnswerEvents, results and the same error classes.
//
// The worker is disposable; the host is not. Work that cannot see a Stop (a runaway chat template, a
// pathological regex) ends the request after a short grace period and sets the worker aside; a worker
// that runs out of its heap limit or crashes fails only the requests it had. Either way the next
// request starts a fresh worker, which reloads the model with the usual progress.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { AnswerBackend, AnswerEvents, AnswerRequest, AnswerResult, ModelInfo, SummarizeRequest } from '../vscode/answer-backend';
import type { AssistantSettings } from '../core/chat/settings';
import type { EditorContext } from '../core/context/gather';
import type { FileEntry, FileSource } from '../core/workspace/types';
import { resolveWindow } from '../core/chat/window';
import { CancelledError } from '../core/util/abort';
import type { ModelStatus } from '../protocol';
import { baseName } from '../vscode/model-manager';
import { BackendCrashedError, fromWire, toWire } from './errors';
import { parseToHost, type LoadedModelInfo, type ToHost, type ToWorker, type WireRequest, type WorkerOptions } from './protocol';

/** What the host's status bar, notifications and status report need to know about the model. */
export interface ModelStatusSource {
  onStatus(f: (s: ModelStatus) => void): () => void;
  getStatus(): ModelStatus;
  /** Re-derives the status after a settings change. */
  refreshStatus(): void;
  cancelLoad(): void;
  /** The loaded model, if it matches the settings. */
  loadedModel(): LoadedModelInfo | undefined;
}

export interface WorkerBackendDeps {
  /** Read for every request and status change (the worker gets a copy with each request). */
  settings(): AssistantSettings;
  /** null when no folder is open. */
  source(): FileSource | null;
  editor(): EditorContext | undefined;
  log(line: string): void;
  worker?: WorkerOptions;
  /** How long a Stop may wait for the worker before the request is ended without it. Default 1000 ms. */
  stopGraceMs?: number;
  /** The worker's JavaScript heap limit: a runaway template or tokenizer dies alone. Default 2048 MB. */
  heapLimitMb?: number;
}

export const STOP_GRACE_MS = 1000;
export const WORKER_HEAP_LIMIT_MB = 2048;
const LIST_BATCH = 256;

export const STOPPED_BY_RESTART =
  'Stopped. The model was busy with work that cannot be interrupted (for example a chat template that does not finish), ' +
  'so its worker was set aside; the next request starts a fresh one and reloads the model.';

interface Pending {
  events: AnswerEvents;
  resolve(r: AnswerResult): void;
  reject(e: Error): void;
  /** The summary request's confirmLarge, answered for the worker's askConfirm. */
  confirmLarge?: SummarizeRequest['confirmLarge'];
}

/**
 * How the worker is started: the bundled dist/backend-worker.js next to the bundle that runs this code
 * (extension.js or cli.js), or, when running from TypeScript sources (mocha/tsx), worker-main.ts
 * through tsx's CommonJS hook and the same .wgsl text loader esbuild uses.
 */
export function workerEntry(): { file: string; fromSource: boolean } {
  if (__filename.endsWith('.ts')) return { file: path.join(__dirname, 'worker-main.ts'), fromSource: true };
  return { file: path.join(__dirname, 'backend-worker.js'), fromSource: false };
}

const SOURCE_BOOT = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
require(workerData.boot.tsx);
require.extensions['.wgsl'] = (module, filename) => {
  module.exports = { __esModule: true, default: fs.readFileSync(filename, 'utf8') };
};
require(workerData.boot.entry);
`;

function startWorker(options: WorkerOptions, heapLimitMb: number, cpuSections: SharedArrayBuffer): Worker {
  const { file, fromSource } = workerEntry();
  const resourceLimits = { maxOldGenerationSizeMb: heapLimitMb };
  const workerData = { ...options, cpuSections };
  if (!fromSource) return new Worker(file, { workerData, resourceLimits, execArgv: [] });
  // execArgv []: a parent under tsx's ESM loader would hand its hooks to an eval worker and deadlock it.
  const tsxHook = 'tsx/cjs';
  return new Worker(SOURCE_BOOT, { eval: true, execArgv: [], resourceLimits, workerData: { ...workerData, boot: { tsx: require.resolve(tsxHook), entry: file } } });
}

export class WorkerBackend implements AnswerBackend, ModelStatusSource {
  private worker: Worker | undefined;
  /** The worker's count of open CPU-only sections (extension/core/util/cpu-section.ts). */
  private cpuSections: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly counts = new Map<number, (n: number | undefined) => void>();
  private readonly listings = new Map<number, AbortController>();
  private readonly sourceKeys = new WeakMap<FileSource, string>();
  private readonly sources = new Map<string, FileSource>();
  private status: ModelStatus = { phase: 'unset' };
  private loaded: LoadedModelInfo | undefined;
  private readonly listeners = new Set<(s: ModelStatus) => void>();
  /** Workers replaced after an ignored Stop, until they have shut down. */
  private readonly retired = new Set<Worker>();
  private disposed = false;
  /** Workers started so far (the first request starts one; each restart another). */
  workersStarted = 0;

  constructor(private readonly deps: WorkerBackendDeps) {
    this.refreshStatus();
  }

  // ---- model status (mirrors the worker's ModelManager) ----

  onStatus(f: (s: ModelStatus) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  getStatus(): ModelStatus {
    return this.status;
  }

  loadedModel(): LoadedModelInfo | undefined {
    const s = this.deps.settings();
    return this.loaded && this.loaded.path === s.modelPath ? this.loaded : undefined;
  }

  private setStatus(s: ModelStatus): void {
    this.status = s;
    for (const f of this.listeners) {
      try {
        f(s);
      } catch {
        // A listener (status bar, view) failing must not fail what it reports on.
      }
    }
  }

  refreshStatus(): void {
    if (this.worker) {
      this.post({ type: 'settings', settings: this.deps.settings() });
      return;
    }
    const p = this.deps.settings().modelPath;
    const name = p ? baseName(p) : undefined;
    if (!p) this.setStatus({ phase: 'unset' });
    else if (this.status.phase !== 'error' || this.status.name !== name) this.setStatus({ phase: 'idle', name });
  }

  cancelLoad(): void {
    this.post({ type: 'cancelLoad' });
  }

  /** Frees the GPU model; the next request loads again. */
  unload(): void {
    this.post({ type: 'unload' });
  }

  // ---- AnswerBackend ----

  modelInfo(): ModelInfo | undefined {
    const s = this.deps.settings();
    if (!s.modelPath) return undefined;
    const m = this.loadedModel();
    let maxInput = s.selfExtend.targetContext;
    if (m) {
      try {
        maxInput = resolveWindow(s.selfExtend, m.contextLength, m.maxContext).window;
      } catch {
        maxInput = m.contextLength;
      }
    }
    return { name: baseName(s.modelPath), family: m?.architecture ?? 'gguf', maxInputTokens: maxInput, maxOutputTokens: s.maxNewTokens };
  }

  countTokens(text: string): number | Promise<number> {
    // Before the model is loaded, ~4 characters per token is the usual estimate for code and English.
    const estimate = Math.ceil(text.length / 4);
    if (!this.worker || !this.loadedModel()) return estimate;
    const id = this.nextId++;
    return new Promise<number>((resolve) => {
      this.counts.set(id, (n) => resolve(n ?? estimate));
      this.post({ type: 'countTokens', id, text, settings: this.deps.settings() });
    });
  }

  forget(chatId: string): void {
    this.post({ type: 'forget', chatId });
  }

  answer(req: AnswerRequest, events: AnswerEvents): Promise<AnswerResult> {
    if (this.disposed) return Promise.reject(new CancelledError('The extension is shutting down.'));
    if (req.signal.aborted) return Promise.reject(new CancelledError());
    const id = this.nextId++;
    const worker = this.ensureWorker();
    const { signal, ...rest } = req;
    // Callbacks cannot cross the boundary: a summary's confirmLarge becomes a flag, asked back by message.
    const confirmLarge = rest.kind === 'summarize' ? rest.confirmLarge : undefined;
    const wire = rest.kind === 'summarize' ? { ...rest, confirmLarge: confirmLarge !== undefined } : rest;
    const source = this.deps.source();
    let stopTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      this.post({ type: 'cancel', id });
      // The worker checks the signal between files, chunks and tokens; work that cannot (a template
      // that never ends) is ended with the worker after the grace period.
      stopTimer = setTimeout(() => {
        if (!this.pending.has(id) || this.worker !== worker) return;
        if (Atomics.load(this.cpuSections, 0) > 0) {
          this.restart(`a Stop was not honoured within ${this.graceMs()} ms`, id);
        } else {
          // Inside GPU work (a long shader compile, a slow submit): terminating the thread now would
          // take the whole process down with Dawn's addon. The request ends for the user here; the
          // worker notices the Stop at its next chunk or token and serves the next request.
          this.deps.log(`Stop: the model worker is inside a GPU call; the request is ended and the worker finishes that call first`);
          const p = this.pending.get(id)!;
          this.pending.delete(id);
          p.events.progress('idle');
          p.reject(new CancelledError('Stopped.'));
        }
      }, this.graceMs());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const result = new Promise<AnswerResult>((resolve, reject) => this.pending.set(id, { events, resolve, reject, confirmLarge }));
    this.post({
      type: 'answer', id, request: wire as WireRequest, settings: this.deps.settings(), editor: this.deps.editor(),
      source: source ? { key: this.keyOf(source), rootLabel: source.rootLabel } : null,
    });
    return result.finally(() => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(stopTimer);
      this.pending.delete(id);
    });
  }

  /** Stops every request in flight (extension shutdown); later requests fail as cancelled. */
  dispose(): void {
    this.disposed = true;
    for (const id of this.pending.keys()) this.post({ type: 'cancel', id });
  }

  /** Frees the model (its GPU device) and ends the worker; resolves when it has ended (at most ~2 s). */
  shutdown(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    if (!w) return Promise.resolve();
    w.postMessage({ type: 'shutdown' } satisfies ToWorker);
    this.worker = undefined; // its exit is expected from here on
    this.lost(() => new CancelledError('The extension is shutting down.'));
    // Never terminate(): see restart(). A worker still busy ends itself once its step is done, and
    // does not keep the process alive meanwhile.
    w.unref();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  // ---- worker lifecycle ----

  private graceMs(): number {
    return this.deps.stopGraceMs ?? STOP_GRACE_MS;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const shared = new SharedArrayBuffer(4);
    this.cpuSections = new Int32Array(shared);
    const w = startWorker(this.deps.worker ?? {}, this.deps.heapLimitMb ?? WORKER_HEAP_LIMIT_MB, shared);
    this.workersStarted++;
    this.worker = w;
    let failure: Error | undefined;
    w.on('message', (raw: unknown) => this.onMessage(raw));
    w.on('error', (e: Error) => (failure = e));
    w.on('exit', (code) => {
      if (this.worker !== w) return; // ended on purpose (restart or shutdown)
      const oom = (failure as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const detail = oom
        ? `it ran out of memory (limit ${this.deps.heapLimitMb ?? WORKER_HEAP_LIMIT_MB} MB), for example in a chat template that builds a huge string`
        : failure ? failure.message : `exit code ${code}`;
      this.deps.log(`backend worker ended: ${detail}`);
      this.lost(() => new BackendCrashedError(detail));
    });
    // Settings first, so the worker's status matches the host's from the start.
    this.post({ type: 'settings', settings: this.deps.settings() });
    return w;
  }

  /**
   * Retires a worker stuck in CPU-only work (it did not honour a Stop); the next request starts a new
   * one. The old worker is not terminated: ending a thread that holds a Dawn device with a promise
   * outstanding aborts the whole process (Dawn's binding asserts on it). It is asked to shut down
   * instead, which it does, freeing its GPU device, as soon as the stuck section ends (a chat template
   * hits its time limit in gpu/tokenizer after 2 s).
   */
  private restart(why: string, stoppedId: number): void {
    const w = this.worker;
    this.deps.log(`backend worker retired: ${why}; it shuts down when its current step ends`);
    this.lost((id) => (id === stoppedId ? new CancelledError(STOPPED_BY_RESTART) : new BackendCrashedError('it was replaced to stop a request that did not respond')));
    if (!w) return;
    w.postMessage({ type: 'shutdown' } satisfies ToWorker);
    this.retired.add(w);
    w.once('exit', () => this.retired.delete(w));
  }

  /** The worker is gone: fail what it had, forget its model, serve nothing more to it. */
  private lost(error: (id: number) => Error): void {
    this.worker = undefined;
    for (const a of this.listings.values()) a.abort();
    this.listings.clear();
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.events.progress('idle');
      p.reject(error(id));
    }
    for (const f of this.counts.values()) f(undefined);
    this.counts.clear();
    this.loaded = undefined;
    const p = this.deps.settings().modelPath;
    this.setStatus(p ? { phase: 'idle', name: baseName(p) } : { phase: 'unset' });
  }

  private post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    this.worker?.postMessage(m, transfer);
  }

  private keyOf(source: FileSource): string {
    let key = this.sourceKeys.get(source);
    if (!key) {
      key = `s${this.sources.size + 1}`;
      this.sourceKeys.set(source, key);
    }
    this.sources.set(key, source);
    return key;
  }

  private onMessage(raw: unknown): void {
    let m: ToHost;
    try {
      m = parseToHost(raw);
    } catch (e) {
      this.deps.log(e instanceof Error ? e.message : String(e));
      return;
    }
    switch (m.type) {
      case 'status':
        this.loaded = m.loaded;
        this.setStatus(m.status);
        return;
      case 'progress':
        this.pending.get(m.id)?.events.progress(m.phase, m.fraction, m.detail);
        return;
      case 'context':
        this.pending.get(m.id)?.events.context(m.context);
        return;
      case 'token':
        this.pending.get(m.id)?.events.token(m.text);
        return;
      case 'part':
        this.pending.get(m.id)?.events.part?.(m.part);
        return;
      case 'askConfirm': {
        const ask = this.pending.get(m.id)?.confirmLarge;
        const id = m.id;
        void (ask ? ask(m.plan) : Promise.resolve(true)).then(
          (ok) => this.post({ type: 'confirmed', id, ok }),
          () => this.post({ type: 'confirmed', id, ok: false }),
        );
        return;
      }
      case 'done':
        // Never a silent change of prompt format (issue 10 point 4): one line in the log (the output
        // channel, the CLI's stderr); the chat view also shows it in the answer's footer.
        if (m.result.promptFallback !== undefined && this.pending.has(m.id)) this.deps.log(`prompt format: ${m.result.promptFallback}`);
        this.pending.get(m.id)?.resolve(m.result);
        return;
      case 'failed':
        this.pending.get(m.id)?.reject(fromWire(m.error));
        return;
      case 'tokenCount':
        this.counts.get(m.id)?.(m.tokens);
        this.counts.delete(m.id);
        return;
      case 'log':
        this.deps.log(m.line);
        return;
      case 'list':
        void this.serveListing(m.listId, m.sourceKey);
        return;
      case 'listCancel':
        this.listings.get(m.listId)?.abort();
        return;
      case 'readFile':
        void this.serveRead(m.readId, m.sourceKey, m.relPath);
        return;
    }
  }

  private async serveListing(listId: number, key: string): Promise<void> {
    const source = this.sources.get(key);
    const abort = new AbortController();
    this.listings.set(listId, abort);
    let batch: FileEntry[] = [];
    const worker = this.worker;
    const send = (m: Extract<ToWorker, { type: 'listed' }>): void => {
      if (this.worker === worker) this.post(m);
    };
    try {
      if (!source) throw new Error('the workspace of this request is no longer open');
      for await (const e of source.list({ signal: abort.signal })) {
        batch.push(e);
        if (batch.length >= LIST_BATCH) {
          send({ type: 'listed', listId, entries: batch, done: false });
          batch = [];
        }
      }
      send({ type: 'listed', listId, entries: batch, done: true, skipped: source.skipped.summary() });
    } catch (e) {
      send({ type: 'listed', listId, entries: batch, done: true, error: toWire(e) });
    } finally {
      this.listings.delete(listId);
    }
  }

  private async serveRead(readId: number, key: string, relPath: string): Promise<void> {
    const worker = this.worker;
    let reply: Extract<ToWorker, { type: 'fileBytes' }>;
    let transfer: ArrayBuffer[] | undefined;
    try {
      const source = this.sources.get(key);
      if (!source) throw new Error('the workspace of this request is no longer open');
      let bytes = await source.read(relPath);
      // Transfer the buffer when the bytes own it; a view into a shared or pooled buffer is copied first.
      if (!(bytes.buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = new Uint8Array(bytes);
      transfer = [bytes.buffer as ArrayBuffer];
      reply = { type: 'fileBytes', readId, bytes };
    } catch (e) {
      reply = { type: 'fileBytes', readId, error: toWire(e) };
    }
    if (this.worker === worker) this.post(reply, transfer);
  }
}
