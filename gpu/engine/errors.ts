// Typed engine errors, each with a message that says what happened and what to do.

export class DeviceLostError extends Error {
  constructor(reason: string) {
    super(
      `The GPU device was lost (${reason || 'no reason given'}); this request was stopped. ` +
        `The model will be reloaded automatically on the next request. If this keeps happening, close other GPU-heavy programs or update your GPU driver.`,
    );
    this.name = 'DeviceLostError';
  }
}

export class OutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

/**
 * The one cancellation error of the engine, the core, the backend worker and the hosts (the core's
 * extension/core/util/abort.ts re-exports it): a Stop, a closed view or a shutdown, never a failure.
 * Named 'AbortError' like the platform's own, so an aborted fetch or stream reads the same.
 */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export class ModelDisposedError extends Error {
  constructor() {
    super('This model was disposed; load it again with Engine.load()');
    this.name = 'ModelDisposedError';
  }
}

/** Throws a CancelledError when `signal` has aborted; `what` names the work ("Loading the model"). */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what === undefined ? undefined : `${what} was cancelled`);
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
