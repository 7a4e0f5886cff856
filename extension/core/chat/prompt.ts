// Messages → prompt tokens. The chat template is the model's own (Model.encodeChat, which parses
// special tokens only in template text); models without a template get a plain transcript encoded
// as untrusted text, so file contents can never smuggle special tokens in either way.
import type { Model } from '../../../gpu/engine/types';
import { ChatTemplateError } from '../../../gpu/tokenizer/template-limits';
import type { ChatMessage } from '../../../gpu/tokenizer/types';
import { cpuSection } from '../util/cpu-section';
import { displayName } from '../workspace/names';

export const SYSTEM_PROMPT =
  'You are a careful assistant for a software repository. Answer using the repository files provided ' +
  'below; cite file paths when you refer to code. If the files shown do not contain the answer, say so ' +
  'instead of guessing.';

/** The repository block goes into the first (system) message so it is a stable prefix of every turn. */
export function systemMessage(repository: string, system = SYSTEM_PROMPT): ChatMessage {
  return { role: 'system', content: repository ? `${system}\n\n${repository}` : system };
}

export function userMessage(question: string, selection?: { label: string; text: string }): ChatMessage {
  if (!selection || selection.text.trim() === '') return { role: 'user', content: question };
  const fence = selection.text.includes('```') ? '~~~~' : '```';
  return { role: 'user', content: `Selected code (${displayName(selection.label)}):\n${fence}\n${selection.text}\n${fence}\n\n${question}` };
}

/** Prompt tokens, and why the prompt is not in the model's own chat format when it is not. */
export interface EncodedPrompt {
  tokens: number[];
  /** Set when a plain transcript stands in for the model's chat template: the reason, in words, for the output channel and the answer's footer. */
  fallback?: string;
}

export function encodeMessages(model: Model, messages: ChatMessage[]): number[] {
  return encodePrompt(model, messages).tokens;
}

/** encodeMessages with the fallback reported. A template that exceeds a limit is an error, never a fallback. */
export function encodePrompt(model: Model, messages: ChatMessage[]): EncodedPrompt {
  // Template rendering runs the model file's Jinja: a runaway template is ended with the worker.
  return cpuSection(() => encodeNow(model, messages));
}

function encodeNow(model: Model, messages: ChatMessage[]): EncodedPrompt {
  if (!model.config.hasChatTemplate) {
    return { tokens: encodeTranscript(model, messages), fallback: 'the model has no chat template; the prompt is a plain "User: / Assistant:" transcript' };
  }
  try {
    return { tokens: model.encodeChat(messages, { addGenerationPrompt: true }) };
  } catch (e) {
    // A template the renderer cannot handle should not make the assistant unusable: fall back, and say so.
    if (!(e instanceof Error) || (e instanceof ChatTemplateError && e.limit !== undefined)) throw e;
    return { tokens: encodeTranscript(model, messages), fallback: `${e.message} — the prompt is a plain "User: / Assistant:" transcript instead` };
  }
}

function encodeTranscript(model: Model, messages: ChatMessage[]): number[] {
  const names = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  const text = `${messages.map((m) => `${names[m.role]}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
  return model.tokenizer.encode(text, { parseSpecial: false, untrusted: true });
}

/** Token count of text alone (no BOS), for budgeting. */
export function tokenCounter(model: Model): (s: string) => number {
  return (s: string) => (s === '' ? 0 : cpuSection(() => model.tokenizer.encode(s, { addBos: false, parseSpecial: false, untrusted: true }).length));
}
