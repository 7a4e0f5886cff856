// The worker side of the boundary: owns the engine model (ModelManager), the chat sessions and the
// request queue (CoreBackend), and turns host messages into calls and results/events into messages.
// Runs inside the backend worker (./worker-main.ts); no vscode, no thread APIs, so tests can also
// drive it directly.
import type { EngineApi } from '../../gpu/engine/types';
import { describeDevice } from '../../gpu/device/gpu-device';
import { CoreBackend } from '../vscode/core-backend';
import type { AnswerRequest, LargeSummaryPlan } from '../vscode/answer-backend';
import { baseName, ModelManager } from '../vscode/model-manager';
import { DEFAULT_SETTINGS, type AssistantSettings } from '../core/chat/settings';
import type { EditorContext } from '../core/context/gather';
import { toWire } from './errors';
import type { LoadedModelInfo, ToHost, ToWorker, WorkerOptions, WireSource } from './protocol';
import { FileRequests, RemoteFileSource } from './remote-file-source';

export class BackendService {
  private settings: AssistantSettings = DEFAULT_SETTINGS;
  private editor: EditorContext | undefined;
  private source: RemoteFileSource | null = null;
  private readonly sources = new Map<string, RemoteFileSource>();
  private readonly requests = new Map<number, AbortController>();
  /** Summaries waiting for the host's answer to askConfirm, by request id. */
  private readonly confirms = new Map<number, (ok: boolean) => void>();
  private readonly files: FileRequests;
  private readonly models: ModelManager;
  private readonly core: CoreBackend;
  private tokensStreamed = 0;
  /** Set by the injected fault: from then on the worker only dies, it answers nothing. */
  private dying = false;

  constructor(private readonly post: (m: ToHost, transfer?: ArrayBuffer[]) => void, engine: EngineApi, private readonly opts: WorkerOptions = {}) {
    this.files = new FileRequests((m) => post(m));
    this.models = new ModelManager(engine, () => ({
      path: this.settings.modelPath,
      powerPreference: this.settings.powerPreference,
      maxContext: opts.maxContext,
      kvCacheType: this.settings.kvCacheType,
    }));
    this.models.onStatus((status) => this.post({ type: 'status', status, loaded: this.loadedInfo() }));
    this.core = new CoreBackend({
      models: this.models,
      settings: () => this.settings,
      source: () => this.source,
      editor: () => this.editor,
      log: (line) => this.post({ type: 'log', line }),
    });
  }

  private loadedInfo(): LoadedModelInfo | undefined {
    const m = this.models.peek();
    if (!m) return undefined;
    const c = m.config;
    return {
      path: this.settings.modelPath, name: c.name || baseName(this.settings.modelPath), architecture: c.architecture, nLayers: c.nLayers, nParams: c.nParams,
      contextLength: c.contextLength, maxContext: m.maxContext, device: describeDevice(m.device),
    };
  }

  private useSettings(s: AssistantSettings): void {
    this.settings = s;
    this.models.refreshStatus();
  }

  private sourceFor(w: WireSource | null): RemoteFileSource | null {
    if (!w) return null;
    let s = this.sources.get(w.key);
    if (!s) {
      // One source per host source: a changed folder set or filter is a new key (sessions keep theirs).
      s = new RemoteFileSource(w.key, w.rootLabel, this.files);
      this.sources.set(w.key, s);
    }
    return s;
  }

  handle(m: ToWorker): void {
    switch (m.type) {
      case 'settings':
        this.useSettings(m.settings);
        return;
      case 'answer':
        this.useSettings(m.settings);
        this.editor = m.editor;
        this.source = this.sourceFor(m.source);
        this.answer(m.id, m);
        return;
      case 'cancel':
        this.requests.get(m.id)?.abort();
        return;
      case 'confirmed':
        this.confirms.get(m.id)?.(m.ok);
        this.confirms.delete(m.id);
        return;
      case 'countTokens': {
        this.useSettings(m.settings);
        const tokens = this.core.countTokens(m.text);
        this.post({ type: 'tokenCount', id: m.id, tokens });
        return;
      }
      case 'forget':
        this.core.forget(m.chatId);
        return;
      case 'cancelLoad':
        this.models.cancelLoad();
        return;
      case 'unload':
        this.models.unload();
        return;
      case 'listed':
      case 'fileBytes':
        this.files.deliver(m);
        return;
      case 'shutdown':
        this.dispose();
        return;
    }
  }

  private answer(id: number, m: Extract<ToWorker, { type: 'answer' }>): void {
    const abort = new AbortController();
    this.requests.set(id, abort);
    const fault = this.opts.fault;
    const { confirmLarge, ...request } = m.request;
    const confirm = confirmLarge && request.kind === 'summarize'
      ? {
          confirmLarge: (plan: LargeSummaryPlan) =>
            new Promise<boolean>((resolve) => {
              this.confirms.set(id, resolve);
              abort.signal.addEventListener('abort', () => resolve(false), { once: true });
              this.post({ type: 'askConfirm', id, plan });
            }),
        }
      : {};
    this.core
      .answer({ ...request, ...confirm, signal: abort.signal } as AnswerRequest, {
        progress: (phase, fraction, detail) => this.post({ type: 'progress', id, phase, ...(fraction === undefined ? {} : { fraction }), ...(detail === undefined ? {} : { detail }) }),
        context: (context) => this.post({ type: 'context', id, context }),
        part: (part) => this.post({ type: 'part', id, part }),
        token: (text) => {
          this.post({ type: 'token', id, text });
          if (fault?.kind === 'exit-on-token' && ++this.tokensStreamed === fault.token) {
            // The device is freed first: Dawn's binding aborts the process if a thread ends with a
            // GPU promise outstanding, which pipelined decode always has (see RELIABILITY.md).
            this.dying = true;
            this.models.dispose();
            setTimeout(() => process.exit(70), 200);
          }
        },
      })
      .then(
        (result) => this.dying || this.post({ type: 'done', id, result }),
        (e: unknown) => this.dying || this.post({ type: 'failed', id, error: toWire(e) }),
      )
      .finally(() => {
        this.requests.delete(id);
        this.confirms.delete(id);
      });
  }

  /** Frees the GPU model (the worker is about to end). */
  dispose(): void {
    for (const a of this.requests.values()) a.abort();
    this.core.dispose();
    this.models.dispose();
  }
}
