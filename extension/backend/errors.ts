// Errors across the backend boundary: the worker sends name/message/code and the error's own plain
// fields, the host recreates an instance of the same class with the same fields (so `instanceof`,
// describeError's name checks and fields such as ChatTemplateError.limit behave exactly as when the
// engine ran in-thread). Only small, dependency-free error modules are imported here: the host bundle
// must not pull in the engine.
import { CancelledError } from '../core/util/abort';
import { ModelNotConfiguredError } from '../vscode/error-actions';
import { GGUFError } from '../../gpu/gguf/errors';
import { SelfExtendParamsError } from '../../gpu/attention/params';
import { DeviceLostError, ModelDisposedError, OutOfMemoryError } from '../../gpu/engine/errors';
import { ChatTemplateError } from '../../gpu/tokenizer/template-errors';
import { NonFiniteLogitsError } from '../../gpu/sampling/errors';
import { DawnNotFoundError, DeviceRequestError, NoAdapterError } from '../../gpu/device/errors';
import { UnsupportedWeightError, WeightAllocationError } from '../../gpu/kernels/linear/errors';
import { GlobLimitError } from '../core/workspace/glob';
import type { WireError, WireField } from './protocol';

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

/** Any other error class from the worker: same name, message and fields, plain Error prototype. */
export class RemoteError extends Error {
  declare code?: string;
  constructor(w: WireError) {
    super(w.message);
    this.name = w.name;
    if (w.code !== undefined) this.code = w.code;
    setFields(this, w.fields);
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
  ChatTemplateError,
  NonFiniteLogitsError,
  NoAdapterError,
  DeviceRequestError,
  DawnNotFoundError,
  WeightAllocationError,
  UnsupportedWeightError,
  GlobLimitError,
};

/** What toWire never sends as a field (sent on their own, or not data). */
const NOT_FIELDS = new Set(['name', 'message', 'stack', 'code', 'cause', '__proto__', 'constructor']);

/** The error's own enumerable fields with plain values (strings, finite numbers, booleans, null). */
function fieldsOf(e: Error): Record<string, WireField> | undefined {
  let out: Record<string, WireField> | undefined;
  for (const [k, v] of Object.entries(e)) {
    if (NOT_FIELDS.has(k)) continue;
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) (out ??= {})[k] = v;
  }
  return out;
}

function setFields(e: Error, fields: Record<string, WireField> | undefined): void {
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (NOT_FIELDS.has(k)) continue;
    Object.defineProperty(e, k, { value: v, writable: true, configurable: true, enumerable: true });
  }
}

export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const fields = fieldsOf(e);
    return { name: e.name || 'Error', message: e.message, ...(typeof code === 'string' ? { code } : {}), ...(fields ? { fields } : {}), ...(e.stack ? { stack: e.stack } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/** Recreates the worker's error host-side: the same class with the same fields where it is known, else a RemoteError with the same name and fields. */
export function fromWire(w: WireError): Error {
  const cls = CLASSES[w.name];
  let e: Error;
  if (cls) {
    // Constructors take class-specific arguments; the prototype is what instanceof and name checks use.
    e = Object.create(cls.prototype) as Error;
    Object.defineProperty(e, 'message', { value: w.message, writable: true, configurable: true });
    if (w.name !== e.name) Object.defineProperty(e, 'name', { value: w.name, writable: true, configurable: true });
    if (w.code !== undefined) Object.defineProperty(e, 'code', { value: w.code, writable: true, configurable: true, enumerable: true });
    setFields(e, w.fields);
  } else {
    e = new RemoteError(w);
  }
  Object.defineProperty(e, 'stack', { value: `${w.name}: ${w.message}\n    (in the model worker)${w.stack ? `\n${w.stack.split('\n').slice(1).join('\n')}` : ''}`, writable: true, configurable: true });
  return e;
}
