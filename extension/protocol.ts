// The one message protocol between the extension host and the chat webview. Both sides import this
// module, so it must stay free of `vscode` and Node imports. The webview is untrusted from the
// host's point of view (it renders model output), so everything it posts goes through
// parseWebviewMessage before use; host→webview messages are produced by our own code and typed only.

/** A file that went into the prompt, shown as a chip above the answer. */
export interface ContextChip {
  /** Workspace-relative path with forward slashes (what openFile sends back). */
  path: string;
  /** Tokens this file contributed, when known. */
  tokens?: number;
  /** True when only part of the file fitted the budget. */
  partial?: boolean;
}

/** Tokens used of the extended window, and the SelfExtend parameters behind it. */
export interface ContextMeter {
  usedTokens: number;
  /** Extended window N = (L - W) * G + W (or L when SelfExtend is off). */
  windowTokens: number;
  group: number;
  neighbor: number;
  /** Trained context length L of the model. */
  trained: number;
  selfExtendEnabled: boolean;
}

export interface AnswerTimings {
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  ttftMs: number;
  decodeTps: number;
  totalMs: number;
  /** Summaries in parts only: part summaries finished of those planned (figures above are over all requests). */
  summaryParts?: { done: number; total: number };
}

/** One finished part summary of a long summary (streamed before the final summary; see 'summaryPart'). */
export interface SummaryPart {
  /** 0-based, of `count` parts. */
  index: number;
  count: number;
  /** 1-based, inclusive lines of the summarized text. */
  startLine: number;
  endLine: number;
  /** Model output: render inert (plain text). */
  text: string;
}

export type FinishKind = 'done' | 'length' | 'stopped' | 'context-full' | 'error';

/** Things an error can offer to do; each maps to a webview message of the same `type`. */
export type ErrorAction = 'selectModel' | 'downloadModel' | 'openSettings' | 'showStatus';
export const ERROR_ACTIONS: readonly ErrorAction[] = ['selectModel', 'downloadModel', 'openSettings', 'showStatus'];
export const ERROR_ACTION_LABELS: Readonly<Record<ErrorAction, string>> = {
  selectModel: 'Select model…',
  downloadModel: 'Download a model…',
  openSettings: 'Open settings',
  showStatus: 'Show engine status',
};

export interface ChatTurn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** Assistant turns only. */
  chips?: ContextChip[];
  /** Files that were ranked out of the budget (count only; the list goes to the output channel). */
  omittedFiles?: number;
  meter?: ContextMeter;
  timings?: AnswerTimings;
  finish?: FinishKind;
  error?: string;
  actions?: ErrorAction[];
  /** Summaries in parts: the part summaries, in order (shown collapsed once the final summary arrives). */
  parts?: SummaryPart[];
}

export interface ChatSummary {
  id: string;
  title: string;
  updatedAt: number;
}

/** A model offered on the first-run panel. */
export interface CuratedModelInfo {
  id: string;
  label: string;
  sizeBytes: number;
  note?: string;
}

export type ModelPhase = 'unset' | 'idle' | 'loading' | 'ready' | 'error';

export interface ModelStatus {
  phase: ModelPhase;
  /** File name of the configured model, if any. */
  name?: string;
  /** 0..1 while loading. */
  fraction?: number;
  message?: string;
}

export interface ChatViewState {
  chatId: string;
  turns: ChatTurn[];
  chats: ChatSummary[];
  busy: boolean;
  model: ModelStatus;
  curatedModels: CuratedModelInfo[];
  /** Restricted Mode (untrusted workspace): what is limited and why, in words; absent when trusted. */
  restricted?: string;
}

export type ProgressPhase = 'idle' | 'loading-model' | 'reading-repository' | 'prefill' | 'generating' | 'summarizing';

// ---- extension → webview ----
export type ExtensionMessage =
  | { type: 'state'; state: ChatViewState }
  | { type: 'userTurn'; turn: ChatTurn }
  /** The answer begins; chips/meter may still be unknown (the context can arrive after the first tokens). */
  | { type: 'answerStart'; turnId: string; chips: ContextChip[]; meter?: ContextMeter; omittedFiles: number }
  /** Final context of an answer (files used, tokens of the window), at any point after answerStart. */
  | { type: 'answerContext'; turnId: string; chips: ContextChip[]; meter: ContextMeter; omittedFiles: number }
  | { type: 'token'; turnId: string; delta: string }
  /** A part summary of a long summary finished (before the final summary's tokens). */
  | { type: 'summaryPart'; turnId: string; part: SummaryPart }
  | { type: 'answerEnd'; turnId: string; timings: AnswerTimings; finish: FinishKind }
  | { type: 'error'; turnId?: string; message: string; actions: ErrorAction[] }
  | { type: 'progress'; phase: ProgressPhase; fraction?: number; detail?: string }
  | { type: 'model'; model: ModelStatus }
  | { type: 'focusInput' };

// ---- webview → extension ----
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'ask'; text: string }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'openChat'; chatId: string }
  | { type: 'deleteChat'; chatId: string }
  | { type: 'copyCode'; code: string }
  | { type: 'insertCode'; code: string }
  | { type: 'openFile'; path: string }
  | { type: 'selectModel' }
  | { type: 'downloadModel'; modelId?: string }
  | { type: 'openSettings'; query?: string }
  | { type: 'showStatus' };

export type WebviewMessageType = WebviewMessage['type'];

// Limits keep a misbehaving webview from making the host allocate or do unbounded work.
export const LIMITS = {
  questionChars: 100_000,
  codeChars: 2_000_000,
  pathChars: 4_096,
  idChars: 128,
  settingsQueryChars: 256,
} as const;

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Catalog ids carry versions ("qwen2.5-coder-1.5b-…"), so dots are allowed, but never '..' or slashes. */
const MODEL_ID_PATTERN = /^(?!.*\.\.)[A-Za-z0-9._-]+$/;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(m: Record<string, unknown>, key: string, max: number, opts: { nonEmpty?: boolean } = {}): string | ProtocolError {
  const v = m[key];
  if (typeof v !== 'string') return new ProtocolError(`'${key}' must be a string`);
  if (v.length > max) return new ProtocolError(`'${key}' is longer than ${max} characters`);
  if (opts.nonEmpty && v.trim().length === 0) return new ProtocolError(`'${key}' must not be empty`);
  return v;
}

function optStr(m: Record<string, unknown>, key: string, max: number): string | undefined | ProtocolError {
  return m[key] === undefined ? undefined : str(m, key, max);
}

function id(m: Record<string, unknown>, key: string, pattern = ID_PATTERN): string | ProtocolError {
  const v = str(m, key, LIMITS.idChars, { nonEmpty: true });
  if (v instanceof ProtocolError) return v;
  return pattern.test(v) ? v : new ProtocolError(`'${key}' has characters outside ${pattern === ID_PATTERN ? '[A-Za-z0-9_-]' : '[A-Za-z0-9._-]'}`);
}

/** Workspace-relative path: no absolute paths, no `..` segments, no NUL, no URI schemes. */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.length > LIMITS.pathChars) return false;
  if (p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '..' && seg !== '');
}

const NO_PAYLOAD: ReadonlySet<WebviewMessageType> = new Set(['ready', 'stop', 'newChat', 'selectModel', 'showStatus']);

/**
 * Validates a message posted by the webview. Returns the typed message, or a ProtocolError saying
 * what was wrong. Unknown extra keys are dropped so nothing unvalidated reaches the handlers.
 */
export function parseWebviewMessage(raw: unknown): WebviewMessage | ProtocolError {
  if (!isRecord(raw)) return new ProtocolError('message must be an object');
  const type = raw.type;
  if (typeof type !== 'string') return new ProtocolError("message has no string 'type'");
  if (NO_PAYLOAD.has(type as WebviewMessageType)) return { type } as WebviewMessage;
  switch (type) {
    case 'ask': {
      const text = str(raw, 'text', LIMITS.questionChars, { nonEmpty: true });
      return text instanceof ProtocolError ? text : { type, text };
    }
    case 'copyCode':
    case 'insertCode': {
      const code = str(raw, 'code', LIMITS.codeChars);
      return code instanceof ProtocolError ? code : { type, code };
    }
    case 'openFile': {
      const path = str(raw, 'path', LIMITS.pathChars, { nonEmpty: true });
      if (path instanceof ProtocolError) return path;
      return isSafeRelativePath(path) ? { type, path } : new ProtocolError(`'path' is not a workspace-relative path`);
    }
    case 'openChat':
    case 'deleteChat': {
      const chatId = id(raw, 'chatId');
      return chatId instanceof ProtocolError ? chatId : { type, chatId };
    }
    case 'downloadModel': {
      if (raw.modelId === undefined) return { type };
      const modelId = id(raw, 'modelId', MODEL_ID_PATTERN);
      return modelId instanceof ProtocolError ? modelId : { type, modelId };
    }
    case 'openSettings': {
      const query = optStr(raw, 'query', LIMITS.settingsQueryChars);
      if (query instanceof ProtocolError) return query;
      return query === undefined ? { type } : { type, query };
    }
    default:
      return new ProtocolError(`unknown message type '${type.slice(0, 40)}'`);
  }
}

/** The webview message an error action button posts. */
export function actionMessage(action: ErrorAction): WebviewMessage {
  return action === 'openSettings' ? { type: 'openSettings', query: 'selfextend' } : { type: action };
}

export function isErrorAction(v: unknown): v is ErrorAction {
  return typeof v === 'string' && (ERROR_ACTIONS as readonly string[]).includes(v);
}
