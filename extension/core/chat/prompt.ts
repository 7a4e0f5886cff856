// Messages → prompt tokens. The chat template is the model's own (Model.encodeChat, which parses
// special tokens only in template text); models without a template get a plain transcript encoded
// with parseSpecial off, so file contents can never smuggle control tokens in either way.
import type { Model } from '../../../gpu/engine/types';
import type { ChatMessage } from '../../../gpu/tokenizer/types';
import { cpuSection } from '../util/cpu-section';

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
  return { role: 'user', content: `Selected code (${selection.label}):\n${fence}\n${selection.text}\n${fence}\n\n${question}` };
}

export function encodeMessages(model: Model, messages: ChatMessage[]): number[] {
  // Template rendering runs the model file's Jinja: a runaway template is ended with the worker.
  return cpuSection(() => encodeNow(model, messages));
}

function encodeNow(model: Model, messages: ChatMessage[]): number[] {
  if (model.config.hasChatTemplate) {
    try {
      return model.encodeChat(messages, { addGenerationPrompt: true });
    } catch (e) {
      // A template the renderer cannot handle should not make the assistant unusable: fall back.
      if (!(e instanceof Error)) throw e;
    }
  }
  return encodeTranscript(model, messages);
}

function encodeTranscript(model: Model, messages: ChatMessage[]): number[] {
  const names = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  const text = `${messages.map((m) => `${names[m.role]}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
  return model.tokenizer.encode(text, { parseSpecial: false });
}

/** Token count of text alone (no BOS), for budgeting. */
export function tokenCounter(model: Model): (s: string) => number {
  return (s: string) => (s === '' ? 0 : cpuSection(() => model.tokenizer.encode(s, { addBos: false, parseSpecial: false }).length));
}
