// Owns the loaded engine model: loads lazily on the first request, shares one load between
// concurrent callers, reloads when the model path or GPU preference changes, and drops the model
// after fatal errors so the next request starts clean. No vscode import (progress is a callback).
import type { EngineApi, Model } from '../../gpu/engine/types';
import type { PowerPreference } from '../../gpu/device/gpu-device';
import type { ModelStatus } from '../protocol';
import { ModelNotConfiguredError } from './error-actions';
import { CancelledError, untilAborted } from '../core/util/abort';
import type { KvCacheType } from '../../gpu/attention/kv-layout';

export interface ModelKey {
  path: string;
  powerPreference: PowerPreference;
  /** KV-cache capacity in tokens (the CLI's --max-context); undefined = the engine's default. */
  maxContext?: number;
  /** Element type of the KV cache (selfextend.kvCacheType); undefined = the engine's default (f16). */
  kvCacheType?: KvCacheType;
}

export interface LoadReporter {
  /** 0..1 */
  progress(fraction: number, detail?: string): void;
}

/** The file name of a path, with either separator. */
export function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

export class ModelManager {
  private model: Model | undefined;
  private key: ModelKey | undefined;
  private loading: { key: ModelKey; promise: Promise<Model>; abort: AbortController } | undefined;
  private status: ModelStatus = { phase: 'unset' };
  private readonly listeners = new Set<(s: ModelStatus) => void>();
  private disposed = false;

  constructor(private readonly engine: EngineApi, private readonly currentKey: () => ModelKey) {
    this.refreshStatus();
  }

  onStatus(f: (s: ModelStatus) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  getStatus(): ModelStatus {
    return this.status;
  }

  private setStatus(s: ModelStatus): void {
    this.status = s;
    for (const f of this.listeners) {
      try {
        f(s);
      } catch {
        // A listener (status bar, view) failing must not fail the load it reports on.
      }
    }
  }

  /** Re-derives the idle status from settings (call when the configuration changes). */
  refreshStatus(): void {
    const key = this.currentKey();
    if (this.loading) return;
    if (!key.path) this.setStatus({ phase: 'unset' });
    else if (this.model && this.key && sameKey(this.key, key)) this.setStatus({ phase: 'ready', name: baseName(key.path) });
    else if (this.status.phase !== 'error' || this.status.name !== baseName(key.path)) this.setStatus({ phase: 'idle', name: baseName(key.path) });
  }

  /** The loaded model if it matches the settings, without loading. */
  peek(): Model | undefined {
    const key = this.currentKey();
    return this.model && this.key && sameKey(this.key, key) ? this.model : undefined;
  }

  /** Returns the model for the current settings, loading it (once) if needed. */
  async get(reporter?: LoadReporter, signal?: AbortSignal): Promise<Model> {
    if (this.disposed) throw abortError();
    const key = this.currentKey();
    if (!key.path) throw new ModelNotConfiguredError();
    const ready = this.peek();
    if (ready) return ready;
    if (!this.loading || !sameKey(this.loading.key, key)) {
      this.loading?.abort.abort();
      this.freeModel();
      const abort = new AbortController();
      const name = baseName(key.path);
      this.setStatus({ phase: 'loading', name, fraction: 0 });
      const promise = this.engine
        .load(key.path, {
          powerPreference: key.powerPreference,
          maxContext: key.maxContext,
          kvCacheType: key.kvCacheType,
          signal: abort.signal,
          onProgress: (p) => {
            const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
            this.setStatus({ phase: 'loading', name, fraction });
            this.reporters.forEach((r) => r.progress(fraction, p.tensor));
          },
        })
        .then(
          (m) => {
            if (this.loading?.promise !== promise || this.disposed) {
              // Superseded (settings changed) or shut down while loading: nobody owns this model, so
              // free its GPU device now instead of leaking it.
              disposeQuietly(m);
              throw abortError();
            }
            this.loading = undefined;
            this.model = m;
            this.key = key;
            this.setStatus({ phase: 'ready', name });
            return m;
          },
          (e: unknown) => {
            if (this.loading?.promise === promise) {
              this.loading = undefined;
              this.setStatus({ phase: 'error', name, message: e instanceof Error ? e.message : String(e) });
            }
            throw e;
          },
        );
      this.loading = { key, promise, abort };
    }
    const loading = this.loading;
    if (reporter) this.reporters.add(reporter);
    try {
      // The caller's request can be stopped while the (shared) load continues for the next request.
      return await untilAborted(loading.promise, signal, abortError);
    } finally {
      if (reporter) this.reporters.delete(reporter);
    }
  }

  private readonly reporters = new Set<LoadReporter>();

  /** Cancels a load in progress (e.g. the user pressed Cancel on the notification). */
  cancelLoad(): void {
    this.loading?.abort.abort();
  }

  /** Frees the GPU model; the next request loads again. */
  unload(): void {
    this.freeModel();
    this.refreshStatus();
  }

  private freeModel(): void {
    const m = this.model;
    this.model = undefined;
    this.key = undefined;
    if (m) disposeQuietly(m);
  }

  /** Extension shutdown: cancels a load in flight (its model is freed if it still lands) and frees
   * the loaded model, which destroys its GPU device. Later requests fail as cancelled. */
  dispose(): void {
    this.disposed = true;
    this.cancelLoad();
    this.loading = undefined;
    this.freeModel();
    this.listeners.clear();
  }
}

function disposeQuietly(m: Model): void {
  try {
    m.dispose();
  } catch {
    // Disposing a model whose device was lost can throw; nothing left to free.
  }
}

function sameKey(a: ModelKey, b: ModelKey): boolean {
  return a.path === b.path && a.powerPreference === b.powerPreference && a.maxContext === b.maxContext && a.kvCacheType === b.kvCacheType;
}

function abortError(): Error {
  return new CancelledError('The model load was cancelled.');
}
