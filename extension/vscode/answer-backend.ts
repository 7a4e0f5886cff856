// What the chat UI needs from the assistant (extension/core's session, wrapped in core-backend.ts).
// Kept as a narrow port so the controller is testable with a scripted fake.
import type { AnswerResult as CoreAnswerResult } from '../core/chat/chat-session';
import type { SummaryResult } from '../core/chat/summarize';
import type { AnswerTimings, ContextChip, ContextMeter, FinishKind, ProgressPhase, SummaryPart } from '../protocol';

export interface AnswerContext {
  chips: ContextChip[];
  meter: ContextMeter;
  omittedFiles: number;
  /** Some left-out files, most relevant first. */
  leftOut?: string[];
}

export interface AnswerEvents {
  progress(phase: ProgressPhase, fraction?: number, detail?: string): void;
  /** Called when the prompt is built, before the first token; may be called again with final figures. */
  context(ctx: AnswerContext): void;
  token(text: string): void;
  /** Summaries in parts: a part summary finished (before the final summary's tokens). */
  part?(part: SummaryPart): void;
}

export interface AnswerResult {
  timings: AnswerTimings;
  finish: FinishKind;
  /** What the CLI prints: the core's full report of an ask or a summary (plain data, crosses the worker boundary). */
  report?: { kind: 'ask'; ask: CoreAnswerResult } | { kind: 'summarize'; summary: SummaryResult };
  /**
   * Set when the prompt was not in the model's own chat format (no template, or one the renderer could
   * not handle): why, in words. The backend logs it and the chat view shows it in the answer's footer.
   */
  promptFallback?: string;
}

export interface HistoryMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface AskRequest {
  kind: 'ask';
  chatId: string;
  question: string;
  /** false: answer without repository context (chat participant without /workspace). Default true. */
  workspace?: boolean;
  /** Earlier turns of this chat, oldest first (answers only when they completed). */
  history: HistoryMessage[];
  /** Context the user attached explicitly (files, selections), read by the host; goes into this turn's message. */
  pinned?: { label: string; text: string };
  signal: AbortSignal;
}

export interface SummarizeRequest {
  kind: 'summarize';
  chatId: string;
  /** Workspace-relative path or the document's name. */
  label: string;
  text: string;
  /** Set when the text is a selection of a larger file. */
  selection?: { startLine: number; endLine: number };
  signal: AbortSignal;
  /** Asked before a summary of more than LARGE_SUMMARY_PARTS parts starts; false cancels it. */
  confirmLarge?(plan: LargeSummaryPlan): Promise<boolean>;
}

/** What a long summary will take (extension/core/chat/summarize.ts SummaryPlan, without the window). */
export interface LargeSummaryPlan {
  parts: number;
  requests: number;
  inputTokens: number;
  /** From speeds measured earlier on this model; absent when none are known yet. */
  estimateMs?: number;
}

/** A plain chat completion (language-model provider API): the caller owns the whole prompt. */
export interface ChatCompletionRequest {
  kind: 'chat';
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens?: number;
  signal: AbortSignal;
}

export type AnswerRequest = AskRequest | SummarizeRequest | ChatCompletionRequest;

export interface ModelInfo {
  name: string;
  family: string;
  /** Tokens a request may use (the extended window when SelfExtend is on). */
  maxInputTokens: number;
  maxOutputTokens: number;
}

export interface AnswerBackend {
  answer(req: AnswerRequest, events: AnswerEvents): Promise<AnswerResult>;
  /** What the configured model offers, without loading it (undefined when none is configured). */
  modelInfo(): ModelInfo | undefined;
  /** Token count with the loaded model's tokenizer, or an estimate before it is loaded. */
  countTokens(text: string): number | Promise<number>;
  /** The chat is no longer shown: per-chat state (pinned context) may be freed; history re-creates it. */
  forget?(chatId: string): void;
}
