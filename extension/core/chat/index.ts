export { ChatSession, type ChatSessionDeps, type AskOptions, type AnswerResult, type ChatTurn, type AssistantProgress, type PromptContext, type ContextReport } from './chat-session';
export { summarizeText, splitByTokens, summaryWindow, LARGE_SUMMARY_PARTS, type SummarizeOptions, type SummaryResult, type SummaryProgress, type SummaryPart, type SummaryPlan, type SummaryTotals } from './summarize';
export { SummaryTracker, formatDuration, estimateMs, type SummaryOverall, type SpeedEstimate, type PlannedRequest } from './summary-progress';
export { DEFAULT_SETTINGS, normalizeSettings, type AssistantSettings, type SelfExtendSettings } from './settings';
export { resolveWindow, type ExtendedWindow } from './window';
export { RequestQueue } from './queue';
export { encodeMessages, systemMessage, userMessage, tokenCounter, SYSTEM_PROMPT } from './prompt';
export { runGeneration, type GenerationStats, type GenerationRequest } from './generation';
