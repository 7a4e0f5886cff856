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
  /** True when the user put it in the prompt explicitly (an @file mention, an added file or selection). */
  pinned?: boolean;
}

/**
 * Context the user attaches to a question explicitly: a whole workspace file, or lines of one. The host
 * reads the text when the question is sent (the webview never sees file contents it did not get in an answer).
 */
export type Attachment =
  | { kind: 'file'; path: string }
  | { kind: 'selection'; path: string; startLine: number; endLine: number };

/** What the editor shows right now, offered in the composer before sending (implicit context). */
export interface EditorFocus {
  /** Workspace-relative path of the active editor's file. */
  activeFile?: string;
  /** The active editor's selection (1-based, inclusive lines), when not empty. */
  selection?: { path: string; startLine: number; endLine: number };
}

/** A model download started from the view (or the command), as the view shows it. */
export interface DownloadStatus {
  modelId: string;
  label: string;
  state: 'running' | 'failed' | 'done' | 'cancelled';
  receivedBytes: number;
  totalBytes: number;
  /** Plain-words reason when failed (details go to the output channel). */
  message?: string;
  /** The failure looks like no network connection. */
  offline?: boolean;
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
import type { SummaryPart } from './core/chat/summarize';
export type { SummaryPart };

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
  /** Files that were ranked out of the budget. */
  omittedFiles?: number;
  /** Some of the left-out files, most relevant first (the view lists them to open or pin). */
  leftOut?: string[];
  /** User turns: context attached explicitly, kept so Edit/Regenerate/Retry send it again. */
  attachments?: Attachment[];
  /** User turns: 'summarize' requests cannot be re-sent as questions. */
  request?: 'ask' | 'summarize';
  meter?: ContextMeter;
  timings?: AnswerTimings;
  finish?: FinishKind;
  /** Assistant turns: set when the prompt was not in the model's chat format, and why (AnswerResult.promptFallback). */
  promptFallback?: string;
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
  /** The latest download started in this window, if any. */
  download?: DownloadStatus;
  editor?: EditorFocus;
  /** Restricted Mode (untrusted workspace): what is limited and why, in words; absent when trusted. */
  restricted?: string;
}

export type ProgressPhase = 'idle' | 'loading-model' | 'reading-repository' | 'prefill' | 'generating' | 'summarizing';

// ---- extension → webview ----
export type ExtensionMessage =
  | { type: 'state'; state: ChatViewState }
  | { type: 'userTurn'; turn: ChatTurn }
  /** The answer begins; chips/meter may still be unknown (the context can arrive after the first tokens). */
  | { type: 'answerStart'; turnId: string; chips: ContextChip[]; meter?: ContextMeter; omittedFiles: number; leftOut?: string[] }
  /** Final context of an answer (files used, tokens of the window), at any point after answerStart. */
  | { type: 'answerContext'; turnId: string; chips: ContextChip[]; meter: ContextMeter; omittedFiles: number; leftOut?: string[] }
  | { type: 'token'; turnId: string; delta: string }
  /** A part summary of a long summary finished (before the final summary's tokens). */
  | { type: 'summaryPart'; turnId: string; part: SummaryPart }
  /** `promptFallback`: the prompt was not in the model's chat format, and why (shown in the footer). */
  | { type: 'answerEnd'; turnId: string; timings: AnswerTimings; finish: FinishKind; promptFallback?: string }
  | { type: 'error'; turnId?: string; message: string; actions: ErrorAction[] }
  | { type: 'progress'; phase: ProgressPhase; fraction?: number; detail?: string }
  | { type: 'model'; model: ModelStatus }
  | { type: 'download'; download: DownloadStatus }
  | { type: 'editorFocus'; editor: EditorFocus }
  /** Workspace files matching what the user typed after `@` (answer to suggestFiles). */
  | { type: 'fileSuggestions'; query: string; paths: string[] }
  /** Puts something into the composer: a question draft and/or attachments (e.g. "Ask about selection"). */
  | { type: 'compose'; text?: string; attachments?: Attachment[] }
  | { type: 'focusInput' };

// ---- webview → extension ----
export type WebviewMessage =
  | { type: 'ready' }
  /** `replaceFrom`: the id of an earlier user turn; it and everything after it are replaced (Edit & resend). */
  | { type: 'ask'; text: string; attachments?: Attachment[]; replaceFrom?: string }
  /** Asks the question of this answer again, replacing the answer (Regenerate, and Retry after an error). */
  | { type: 'regenerate'; turnId: string }
  | { type: 'copyAnswer'; turnId: string }
  | { type: 'suggestFiles'; query: string }
  | { type: 'summarizeFile' }
  | { type: 'cancelDownload' }
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
  | { type: 'showStatus' }
  /** The webview's window gained or lost keyboard focus (drives the `selfextend.chatFocused` context key). */
  | { type: 'focusChanged'; focused: boolean };

export type WebviewMessageType = WebviewMessage['type'];

// Limits keep a misbehaving webview from making the host allocate or do unbounded work.
export const LIMITS = {
  questionChars: 100_000,
  codeChars: 2_000_000,
  pathChars: 4_096,
  idChars: 128,
  settingsQueryChars: 256,
  attachments: 32,
  lineNumber: 10_000_000,
  suggestQueryChars: 256,
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

const NO_PAYLOAD: ReadonlySet<WebviewMessageType> = new Set(['ready', 'stop', 'newChat', 'selectModel', 'showStatus', 'summarizeFile', 'cancelDownload']);

function line(m: Record<string, unknown>, key: string): number | ProtocolError {
  const v = m[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= LIMITS.lineNumber ? v : new ProtocolError(`'${key}' must be a line number`);
}

function safePath(m: Record<string, unknown>, key: string): string | ProtocolError {
  const p = str(m, key, LIMITS.pathChars, { nonEmpty: true });
  if (p instanceof ProtocolError) return p;
  return isSafeRelativePath(p) ? p : new ProtocolError(`'${key}' is not a workspace-relative path`);
}

/** Validates a list of attachments (each a workspace-relative path, selections with ordered lines). */
export function parseAttachments(raw: unknown): Attachment[] | ProtocolError {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return new ProtocolError("'attachments' must be an array");
  if (raw.length > LIMITS.attachments) return new ProtocolError(`more than ${LIMITS.attachments} attachments`);
  const out: Attachment[] = [];
  for (const a of raw) {
    if (!isRecord(a)) return new ProtocolError('an attachment must be an object');
    const path = safePath(a, 'path');
    if (path instanceof ProtocolError) return path;
    if (a.kind === 'file') {
      out.push({ kind: 'file', path });
    } else if (a.kind === 'selection') {
      const startLine = line(a, 'startLine');
      if (startLine instanceof ProtocolError) return startLine;
      const endLine = line(a, 'endLine');
      if (endLine instanceof ProtocolError) return endLine;
      if (endLine < startLine) return new ProtocolError("'endLine' is before 'startLine'");
      out.push({ kind: 'selection', path, startLine, endLine });
    } else {
      return new ProtocolError("an attachment's 'kind' must be 'file' or 'selection'");
    }
  }
  return out;
}

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
      if (text instanceof ProtocolError) return text;
      const attachments = parseAttachments(raw.attachments);
      if (attachments instanceof ProtocolError) return attachments;
      const msg: WebviewMessage = { type, text };
      if (attachments.length) msg.attachments = attachments;
      if (raw.replaceFrom !== undefined) {
        const from = id(raw, 'replaceFrom');
        if (from instanceof ProtocolError) return from;
        msg.replaceFrom = from;
      }
      return msg;
    }
    case 'regenerate':
    case 'copyAnswer': {
      const turnId = id(raw, 'turnId');
      return turnId instanceof ProtocolError ? turnId : { type, turnId };
    }
    case 'suggestFiles': {
      const query = str(raw, 'query', LIMITS.suggestQueryChars);
      return query instanceof ProtocolError ? query : { type, query };
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
    case 'focusChanged':
      return typeof raw.focused === 'boolean' ? { type, focused: raw.focused } : new ProtocolError("'focused' must be a boolean");
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
