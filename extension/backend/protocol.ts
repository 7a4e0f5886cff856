// The one typed boundary between the host thread (VS Code's extension host, or the CLI's main
// thread) and the backend worker that runs the engine, tokenizer, chat templates, context packing
// and summaries. Both sides import this module; it has no vscode and no engine import.
//
// Every message is validated on receipt (`parseToWorker` / `parseToHost`): a malformed message is a
// bug on the other side of the boundary, reported as a ProtocolError rather than acted upon.
// Errors cross as plain values (`WireError`) and are recreated host-side by ./errors.ts.
import type { AnswerContext, AnswerResult, AnswerRequest, LargeSummaryPlan } from '../vscode/answer-backend';
import type { AssistantSettings } from '../core/chat/settings';
import type { EditorContext } from '../core/context/gather';
import type { FileEntry } from '../core/workspace/types';
import type { SkipSummary } from '../core/workspace/skip-report';
import type { ModelStatus, ProgressPhase, SummaryPart } from '../protocol';

/** What the host keeps of the loaded model (for the status report and the LM provider), no GPU handles. */
export interface LoadedModelInfo {
  /** The model file, as in the settings that loaded it. */
  path: string;
  name: string;
  architecture: string;
  nLayers: number;
  nParams: number;
  /** L: trained context. */
  contextLength: number;
  /** KV-cache capacity in tokens. */
  maxContext: number;
  /** describeDevice() of the adapter the worker opened. */
  device: string;
}

/** An error as it crosses the boundary: enough to recreate the same class host-side. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** The error's own plain fields (ChatTemplateError.templateName and .limit, WeightAllocationError.bytesNeeded …). */
  fields?: Record<string, WireField>;
}

export type WireField = string | number | boolean | null;

/**
 * A request without its AbortSignal (Stop crosses as a `cancel` message) and without callbacks: a
 * summary's `confirmLarge` crosses as `askConfirm` / `confirmed` messages, flagged by `confirmLarge: true`.
 */
export type WireRequest = DistributiveOmit<AnswerRequest, 'signal' | 'confirmLarge'> & { confirmLarge?: boolean };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The workspace the request may read, served by the host (listing and file bytes cross the boundary). */
export interface WireSource {
  /** Changes when the host's source changes (folders, include/exclude, size limit). */
  key: string;
  rootLabel: string;
}

/** Engine options fixed for the worker's lifetime (the CLI's --max-context). */
export interface WorkerOptions {
  maxContext?: number;
  /** Test hook: `exit-on-token` makes the worker exit after the Nth streamed token (a crash mid-decode). */
  fault?: { kind: 'exit-on-token'; token: number };
}

// ---- host → worker ----
export type ToWorker =
  | { type: 'settings'; settings: AssistantSettings }
  | { type: 'answer'; id: number; request: WireRequest; settings: AssistantSettings; editor?: EditorContext; source: WireSource | null }
  | { type: 'cancel'; id: number }
  /** The host's answer to an `askConfirm` of request `id`. */
  | { type: 'confirmed'; id: number; ok: boolean }
  | { type: 'countTokens'; id: number; text: string; settings: AssistantSettings }
  | { type: 'forget'; chatId: string }
  | { type: 'cancelLoad' }
  | { type: 'unload' }
  /** Free the model (destroying its GPU device) and end the worker. */
  | { type: 'shutdown' }
  /** A batch of the listing the worker asked for; `done` with the host source's skip summary ends it. */
  | { type: 'listed'; listId: number; entries: FileEntry[]; done: boolean; skipped?: SkipSummary; error?: WireError }
  /** File bytes (transferred, not copied) or why they could not be read. */
  | { type: 'fileBytes'; readId: number; bytes?: Uint8Array; error?: WireError };

// ---- worker → host ----
export type ToHost =
  | { type: 'status'; status: ModelStatus; loaded?: LoadedModelInfo }
  | { type: 'progress'; id: number; phase: ProgressPhase; fraction?: number; detail?: string }
  | { type: 'context'; id: number; context: AnswerContext }
  | { type: 'token'; id: number; text: string }
  /** A summary's part summary finished (before the final summary's tokens). */
  | { type: 'part'; id: number; part: SummaryPart }
  /** A long summary asks the host (the user) whether to go on; answered by `confirmed`. */
  | { type: 'askConfirm'; id: number; plan: LargeSummaryPlan }
  | { type: 'done'; id: number; result: AnswerResult }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'tokenCount'; id: number; tokens: number }
  | { type: 'log'; line: string }
  /** Start listing a source; `listCancel` (sent when the request is stopped) ends the host's walk. */
  | { type: 'list'; listId: number; sourceKey: string }
  | { type: 'listCancel'; listId: number }
  | { type: 'readFile'; readId: number; sourceKey: string; relPath: string };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(`backend protocol: ${message}`);
    this.name = 'ProtocolError';
  }
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const PHASES: readonly ProgressPhase[] = ['idle', 'loading-model', 'reading-repository', 'prefill', 'generating', 'summarizing'];
const REQUEST_KINDS = ['ask', 'summarize', 'chat'];

function need(ok: boolean, what: string): void {
  if (!ok) throw new ProtocolError(what);
}

function checkError(e: unknown): void {
  need(isRec(e) && isStr(e.name) && isStr(e.message), 'error without name/message');
  const f = (e as Rec).fields;
  need(f === undefined || (isRec(f) && Object.values(f).every((v) => v === null || isStr(v) || typeof v === 'boolean' || isNum(v))), 'malformed error fields');
}

function checkSettings(s: unknown): void {
  need(isRec(s) && isStr(s.modelPath) && isRec(s.selfExtend) && isNum(s.maxNewTokens) && isNum(s.temperature) && isNum(s.topP), 'malformed settings');
}

function checkEntry(e: unknown): void {
  need(isRec(e) && isStr(e.relPath) && isNum(e.size), 'malformed file entry');
}

/** Validates a message the worker received from the host. */
export function parseToWorker(raw: unknown): ToWorker {
  need(isRec(raw) && isStr(raw.type), "message without a 'type'");
  const m = raw as Rec;
  switch (m.type) {
    case 'settings':
      checkSettings(m.settings);
      break;
    case 'answer': {
      need(isInt(m.id) && isRec(m.request) && REQUEST_KINDS.includes(String((m.request as Rec).kind)), 'malformed answer request');
      checkSettings(m.settings);
      need(m.source === null || (isRec(m.source) && isStr(m.source.key) && isStr(m.source.rootLabel)), 'malformed source');
      const r = m.request as Rec;
      if (r.kind === 'ask') need(isStr(r.chatId) && isStr(r.question) && Array.isArray(r.history), 'malformed ask');
      else if (r.kind === 'summarize') need(isStr(r.chatId) && isStr(r.label) && isStr(r.text), 'malformed summarize');
      else need(Array.isArray(r.messages), 'malformed chat');
      break;
    }
    case 'cancel':
      need(isInt(m.id), 'cancel without id');
      break;
    case 'confirmed':
      need(isInt(m.id) && typeof m.ok === 'boolean', 'malformed confirmation');
      break;
    case 'countTokens':
      need(isInt(m.id) && isStr(m.text), 'malformed countTokens');
      checkSettings(m.settings);
      break;
    case 'forget':
      need(isStr(m.chatId), 'forget without chatId');
      break;
    case 'cancelLoad':
    case 'unload':
    case 'shutdown':
      break;
    case 'listed':
      need(isInt(m.listId) && Array.isArray(m.entries) && typeof m.done === 'boolean', 'malformed listing batch');
      (m.entries as unknown[]).forEach(checkEntry);
      if (m.error !== undefined) checkError(m.error);
      break;
    case 'fileBytes':
      need(isInt(m.readId) && (m.bytes instanceof Uint8Array || m.error !== undefined), 'malformed file bytes');
      if (m.error !== undefined) checkError(m.error);
      break;
    default:
      throw new ProtocolError(`unknown message type '${String(m.type).slice(0, 40)}'`);
  }
  return m as unknown as ToWorker;
}

/** Validates a message the host received from the worker. */
export function parseToHost(raw: unknown): ToHost {
  need(isRec(raw) && isStr(raw.type), "message without a 'type'");
  const m = raw as Rec;
  switch (m.type) {
    case 'status':
      need(isRec(m.status) && isStr(m.status.phase), 'malformed status');
      break;
    case 'progress':
      need(isInt(m.id) && PHASES.includes(m.phase as ProgressPhase), 'malformed progress');
      need(m.fraction === undefined || isNum(m.fraction), 'malformed progress fraction');
      need(m.detail === undefined || isStr(m.detail), 'malformed progress detail');
      break;
    case 'context':
      need(isInt(m.id) && isRec(m.context) && Array.isArray(m.context.chips) && isRec(m.context.meter), 'malformed context');
      break;
    case 'token':
      need(isInt(m.id) && isStr(m.text), 'malformed token');
      break;
    case 'part':
      need(isInt(m.id) && isRec(m.part) && isInt(m.part.index) && isInt(m.part.count) && isStr(m.part.text), 'malformed summary part');
      break;
    case 'askConfirm':
      need(isInt(m.id) && isRec(m.plan) && isInt(m.plan.parts) && isInt(m.plan.requests) && isInt(m.plan.inputTokens), 'malformed confirmation request');
      break;
    case 'done':
      need(isInt(m.id) && isRec(m.result) && isStr(m.result.finish) && isRec(m.result.timings), 'malformed result');
      need((m.result as Rec).promptFallback === undefined || isStr((m.result as Rec).promptFallback), 'malformed prompt fallback');
      break;
    case 'failed':
      need(isInt(m.id), 'failure without id');
      checkError(m.error);
      break;
    case 'tokenCount':
      need(isInt(m.id) && isInt(m.tokens), 'malformed token count');
      break;
    case 'log':
      need(isStr(m.line), 'malformed log line');
      break;
    case 'list':
      need(isInt(m.listId) && isStr(m.sourceKey), 'malformed list');
      break;
    case 'listCancel':
      need(isInt(m.listId), 'malformed listCancel');
      break;
    case 'readFile':
      need(isInt(m.readId) && isStr(m.sourceKey) && isStr(m.relPath), 'malformed readFile');
      break;
    default:
      throw new ProtocolError(`unknown message type '${String(m.type).slice(0, 40)}'`);
  }
  return m as unknown as ToHost;
}
