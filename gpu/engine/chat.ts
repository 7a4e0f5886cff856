// Chat encoding for Model.encodeChat: the tokenizer team's template renderer (special tokens are
// parsed only in the template's own text, never in message content).
import type { ChatMessage, Tokenizer } from '../tokenizer/types';

export function chatEncoder(tokenizer: Tokenizer): (messages: ChatMessage[], addGenerationPrompt: boolean) => number[] {
  return () => {
    void tokenizer;
    throw new Error('chat templates are not available yet');
  };
}
