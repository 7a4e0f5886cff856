// Chat encoding for Model.encodeChat: the tokenizer team's template renderer (the model's own
// template, or a fallback); special tokens are parsed only in the template's own text, never in
// message content.
import { encodeChat } from '../tokenizer/chat-template';
import type { ChatMessage, Tokenizer } from '../tokenizer/types';

/** `model` names the template in errors; its context window sets the template's output limit (4×, in characters). */
export function chatEncoder(tokenizer: Tokenizer, model?: { name: string; contextLength: number }): (messages: ChatMessage[], addGenerationPrompt: boolean) => number[] {
  const templateName = model ? `${model.name}'s chat template (tokenizer.chat_template)` : undefined;
  return (messages, addGenerationPrompt) => encodeChat(tokenizer, undefined, messages, { addGenerationPrompt, contextTokens: model?.contextLength, templateName });
}
