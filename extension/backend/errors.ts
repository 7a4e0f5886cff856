// Errors across the backend boundary: the worker sends name/message/code, the host recreates an
// instance of the same class (so `instanceof` and describeError's name checks behave exactly as
// when the engine ran in-thread). Only small, dependency-free error modules are imported here: the
// host bundle must not pull in the engine.
import { CancelledError } from '../core/util/abort';
import { ModelNotConfiguredError } from '../vscode/error-actions';
import { GGUFError } from '../../gpu/gguf/errors';
import { SelfExtendParamsError } from '../../gpu/attention/params';
import { DeviceLostError, ModelDisposedError, OutOfMemoryError } from '../../gpu/engine/errors';
import type { WireError } from './protocol';

/** The worker ended while requests were in flight (crash, out of memory, killed): nothing was lost but the request. */
export class BackendCrashedError extends Error {
  constructor(detail: string) {
    super(
      `The model worker stopped unexpectedly (${detail}). This request was not finished; ` +
        'VS Code and your chats are fine. The next request starts a fresh worker and reloads the model.',
    );
    this.name = 'BackendCrashedError';
  }
}

/** Any other error class from the worker: same name and message, plain Error prototype. */
export class RemoteError extends Error {
  declare code?: string;
  constructor(w: WireError) {
    super(w.message);
    this.name = w.name;
    if (w.code !== undefined) this.code = w.code;
  }
}

const CLASSES: Record<string, { prototype: Error }> = {
  AbortError: CancelledError,
  CancelledError,
  ModelNotConfiguredError,
  GGUFError,
  SelfExtendParamsError,
  DeviceLostError,
  OutOfMemoryError,
  ModelDisposedError,
  BackendCrashedError,
};

export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name || 'Error', message: e.message, ...(typeof code === 'string' ? { code } : {}), ...(e.stack ? { stack: e.stack } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/** Recreates the worker's error host-side: the same class where it is known, else a RemoteError with the same name. */
export function fromWire(w: WireError): Error {
  const cls = CLASSES[w.name];
  let e: Error;
  if (cls) {
    // Constructors take class-specific arguments; the prototype is what instanceof and name checks use.
    e = Object.create(cls.prototype) as Error;
    Object.defineProperty(e, 'message', { value: w.message, writable: true, configurable: true });
    if (w.name !== e.name) Object.defineProperty(e, 'name', { value: w.name, writable: true, configurable: true });
    if (w.code !== undefined) Object.defineProperty(e, 'code', { value: w.code, writable: true, configurable: true, enumerable: true });
  } else {
    e = new RemoteError(w);
  }
  Object.defineProperty(e, 'stack', { value: `${w.name}: ${w.message}\n    (in the model worker)${w.stack ? `\n${w.stack.split('\n').slice(1).join('\n')}` : ''}`, writable: true, configurable: true });
  return e;
}
