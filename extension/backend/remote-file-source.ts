// The worker's view of the host's workspace: a FileSource whose listing and file bytes come across
// the boundary. The host keeps the listing (VS Code's findFiles, or the CLI's Node walker) and the
// reads; the worker does everything after (binary sniffing, decoding, ranking, tokenizing, packing).
import type { FileEntry, FileSource, ListOptions, ReadOptions } from '../core/workspace/types';
import { SkipReport, type SkipReason, type SkipSummary } from '../core/workspace/skip-report';
import { CancelledError, throwIfAborted } from '../core/util/abort';
import { fromWire } from './errors';
import type { ToHost, ToWorker, WireError } from './protocol';

type Listed = Extract<ToWorker, { type: 'listed' }>;
type Bytes = Extract<ToWorker, { type: 'fileBytes' }>;

/** Routes the host's `listed` / `fileBytes` replies to the source that asked. One per worker. */
export class FileRequests {
  private nextId = 1;
  private readonly listings = new Map<number, (m: Listed) => void>();
  private readonly reads = new Map<number, (m: Bytes) => void>();

  constructor(readonly post: (m: ToHost) => void) {}

  newListing(onBatch: (m: Listed) => void): number {
    const id = this.nextId++;
    this.listings.set(id, onBatch);
    return id;
  }

  endListing(id: number): void {
    this.listings.delete(id);
  }

  newRead(onBytes: (m: Bytes) => void): number {
    const id = this.nextId++;
    this.reads.set(id, onBytes);
    return id;
  }

  endRead(id: number): void {
    this.reads.delete(id);
  }

  deliver(m: Listed | Bytes): void {
    if (m.type === 'listed') this.listings.get(m.listId)?.(m);
    else {
      const f = this.reads.get(m.readId);
      this.reads.delete(m.readId);
      f?.(m);
    }
  }
}

export class RemoteFileSource implements FileSource {
  readonly skipped = new SkipReport();

  constructor(readonly key: string, readonly rootLabel: string, private readonly io: FileRequests) {}

  async *list(opts: ListOptions = {}): AsyncGenerator<FileEntry, void, undefined> {
    const { signal } = opts;
    throwIfAborted(signal);
    this.skipped.clear();
    const queue: FileEntry[] = [];
    let finished: { skipped?: SkipSummary; error?: WireError } | null = null;
    let wake: (() => void) | null = null;
    let listed = 0;
    const listId = this.io.newListing((m) => {
      queue.push(...m.entries);
      listed += m.entries.length;
      if (m.done) finished = { skipped: m.skipped, error: m.error };
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    let complete = false;
    try {
      this.io.post({ type: 'list', listId, sourceKey: this.key });
      for (;;) {
        while (queue.length > 0) {
          throwIfAborted(signal);
          yield queue.shift()!;
        }
        const end = finished as { skipped?: SkipSummary; error?: WireError } | null;
        if (end) {
          complete = true;
          if (end.error) throw fromWire(end.error);
          if (end.skipped) absorb(this.skipped, end.skipped);
          return;
        }
        opts.onProgress?.({ dirsScanned: 0, filesListed: listed, skipped: 0 });
        await new Promise<void>((r) => (wake = r));
        wake = null;
        if (signal?.aborted) throw new CancelledError();
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.io.endListing(listId);
      // Stopped or abandoned early: end the host's walk too.
      if (!complete) this.io.post({ type: 'listCancel', listId });
    }
  }

  read(relPath: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    throwIfAborted(opts.signal);
    return new Promise<Uint8Array>((resolve, reject) => {
      const readId = this.io.newRead((m) => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (m.bytes) resolve(m.bytes);
        else reject(fromWire(m.error ?? { name: 'Error', message: `${relPath} could not be read` }));
      });
      const onAbort = (): void => {
        this.io.endRead(readId);
        reject(new CancelledError());
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.io.post({ type: 'readFile', readId, sourceKey: this.key, relPath });
    });
  }
}

/** Adds the host listing's skip counts to the worker's report (readers add binary/unreadable/lossy here). */
function absorb(report: SkipReport, s: SkipSummary): void {
  for (const [reason, v] of Object.entries(s.byReason) as [SkipReason, { count: number; examples: string[] }][]) {
    // Examples first; a report keeps at most five, so the remaining adds only count.
    for (let i = 0; i < v.count; i++) report.add(reason, v.examples[Math.min(i, v.examples.length - 1)] ?? '');
  }
}
