// Cancellation for the core: the one cancellation error class and throwIfAborted are the engine's
// (gpu/engine/errors.ts, the lowest layer both sides import), so hosts tell "stopped" from "failed"
// with one check wherever the Stop was seen.
import { CancelledError, throwIfAborted } from '../../../gpu/engine/errors';

export { CancelledError, throwIfAborted };

export function isCancellation(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e instanceof CancelledError);
}

/**
 * `p`, or a CancelledError as soon as `signal` aborts, whichever comes first. A host's I/O that does
 * not watch the signal (a slow network file system) then cannot hold a Stop up: its late result or
 * error is dropped (handled, so never an unhandled rejection). `cancelled` makes the error thrown on abort.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, cancelled: () => Error = () => new CancelledError()): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Iterates `items`, ending with a CancelledError as soon as `signal` aborts, even while the source
 * is waiting on I/O for its next item; the source's iterator is closed either way. */
export async function* untilAbortedIterable<T>(items: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  const it = items[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      throwIfAborted(signal);
      const r = await untilAborted(it.next(), signal);
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // return() waits for a pending next() inside an async generator; do not wait for it here.
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
