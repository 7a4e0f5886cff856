// Chat encoding for Model.encodeChat: the tokenizer team's template renderer (the model's own
// template, or a fallback); special tokens are parsed only in the template's own text, never in
// message content.
import { encodeChat } from '../tokenizer/chat-template';
import type { ChatMessage, Tokenizer } from '../tokenizer/types';

export function chatEncoder(tokenizer: Tokenizer): (messages: ChatMessage[], addGenerationPrompt: boolean) => number[] {
  return (messages, addGenerationPrompt) => encodeChat(tokenizer, undefined, messages, { addGenerationPrompt });
}
