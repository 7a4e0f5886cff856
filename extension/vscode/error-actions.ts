// Maps failures to what the user can do about them. Pure: recognises errors by `name` (and GGUF
// codes / errno) so the UI layer needs no import from the engine to classify.
import type { ErrorAction } from '../protocol';

export interface UserFacingError {
  /** Cancellations are not errors: the UI shows "stopped". */
  cancelled: boolean;
  message: string;
  actions: ErrorAction[];
  /** Whether the loaded model should be dropped (reloaded on the next request). */
  dropModel: boolean;
}

export class ModelNotConfiguredError extends Error {
  constructor() {
    super('No model is configured. Pick a local GGUF file or download a recommended model to start.');
    this.name = 'ModelNotConfiguredError';
  }
}

function field(e: unknown, key: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[key] : undefined;
}

export function describeError(e: unknown): UserFacingError {
  const name = typeof field(e, 'name') === 'string' ? (field(e, 'name') as string) : '';
  const message = e instanceof Error ? e.message : String(e);
  const code = field(e, 'code');
  const make = (msg: string, actions: ErrorAction[], dropModel = false): UserFacingError => ({ cancelled: false, message: msg, actions, dropModel });
  switch (name) {
    case 'AbortError':
      return { cancelled: true, message: 'Stopped.', actions: [], dropModel: false };
    case 'ModelNotConfiguredError':
      return make(message, ['selectModel', 'downloadModel']);
    case 'NoAdapterError':
    case 'DawnNotFoundError':
    case 'DeviceRequestError':
      return make(message, ['showStatus', 'openSettings'], true);
    case 'OutOfMemoryError':
    case 'WeightAllocationError':
      return make(`${message} Try a smaller model (or a smaller quantization), or lower selfextend.targetContext.`, ['selectModel', 'downloadModel', 'openSettings'], true);
    case 'DeviceLostError':
      return make(message, ['showStatus'], true);
    case 'GGUFError':
    case 'UnsupportedWeightError':
      return make(`The model file cannot be used: ${message}`, ['selectModel', 'downloadModel'], true);
    case 'SelfExtendParamsError':
      return make(`${message} Adjust selfextend.groupSize / selfextend.neighborWindow.`, ['openSettings']);
    default:
      break;
  }
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
    return make(`The model file cannot be opened (${String(code)}): ${message}`, ['selectModel', 'openSettings'], true);
  }
  return make(message || 'Unexpected error.', ['showStatus']);
}
