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
  /** The original error text (errno, byte dumps, URLs) for the output channel, when `message` rewords it. */
  detail?: string;
}

/** errno codes of a connection that never got through, and what to tell the user instead. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  EAI_AGAIN: 'You appear to be offline: the server name could not be looked up.',
  ENOTFOUND: 'You appear to be offline: the server name could not be looked up.',
  ECONNREFUSED: 'You appear to be offline: the server refused the connection.',
  ECONNRESET: 'The connection was cut off. Check your network and try again.',
  ETIMEDOUT: 'You appear to be offline: the connection timed out.',
  ENETUNREACH: 'You appear to be offline: the network is unreachable.',
  EHOSTUNREACH: 'You appear to be offline: the server is unreachable.',
};

/** Plain words for a network failure (errno in the message or the `code`), or undefined when it is not one. */
export function offlineMessage(e: unknown): string | undefined {
  const code = field(e, 'code');
  if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code];
  const text = e instanceof Error ? e.message : String(e);
  const m = /\b(EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b/.exec(text);
  return m ? NETWORK_CODES[m[1]!] : undefined;
}

/** What a file-system errno means for the model file, in words. */
const FILE_CODES: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a folder, not a file',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (permission denied)',
};

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
  // Errors from the backend worker arrive without their errno `code`; their text still carries Node's
  // "ENOENT: no such file or directory, open '/path'". Say it in words (the raw text stays as detail).
  const errno = /\b(ENOENT|EISDIR|EACCES|EPERM): [^,]*, \w+ '([^']+)'/.exec(message);
  if (errno && name !== 'AbortError') {
    return { ...make(`The model file ${errno[2]} ${FILE_CODES[errno[1]!]}.`, ['selectModel', 'openSettings'], true), detail: message };
  }
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
      if (code === 'bad-magic') {
        // The parser's message quotes the first bytes in hex: useful in the log, noise to a user.
        return { ...make('The model file cannot be used: it is not a GGUF model file. Pick a .gguf file or download a recommended model.', ['selectModel', 'downloadModel'], true), detail: message };
      }
      return make(`The model file cannot be used: ${message}`, ['selectModel', 'downloadModel'], true);
    case 'UnsupportedWeightError':
      return make(`The model file cannot be used: ${message}`, ['selectModel', 'downloadModel'], true);
    case 'SelfExtendParamsError':
      return make(`${message} Adjust selfextend.groupSize / selfextend.neighborWindow.`, ['openSettings']);
    default:
      break;
  }
  if (typeof code === 'string' && FILE_CODES[code]) {
    const path = field(e, 'path');
    const what = typeof path === 'string' ? `The model file ${path}` : 'The model file';
    return { ...make(`${what} ${FILE_CODES[code]}.`, ['selectModel', 'openSettings'], true), detail: message };
  }
  const offline = offlineMessage(e);
  if (offline) return { ...make(offline, ['showStatus']), detail: message };
  return make(message || 'Unexpected error.', ['showStatus']);
}
