// The templates fuzzer's renderer process (tools/fuzz/templates.ts forks it). It renders each case
// through the real path with its limits (renderChatParts, as encodeChat does) and answers with the
// outcome. A separate process, because a template that got past the limits could hang it or abort
// it with a V8 fatal error, which ends a whole process even from a worker thread.
import { renderChatParts } from '../../gpu/tokenizer/chat-template';
import { ChatTemplateError } from '../../gpu/tokenizer/template-limits';
import type { ChatMessage } from '../../gpu/tokenizer/types';

export interface TemplateCase {
  case: number;
  source: string;
  messages: ChatMessage[];
  timeMs: number;
  contextTokens: number;
}

export interface TemplateOutcome {
  case: number;
  kind: 'accepted' | 'rejected' | 'crash' | 'escape';
  detail: string;
}

const CANARY = '__selfextendFuzzCanary';

/** Output that only a template reaching JavaScript objects (functions, globals) could produce. */
const ESCAPE_SIGNS = /\[native code\]|function\s*\w*\s*\([^)]*\)\s*\{|\[object (?:process|global|Object)\]|__selfextendFuzzCanary/;

function render(c: TemplateCase): TemplateOutcome {
  (globalThis as Record<string, unknown>)[CANARY] = false;
  try {
    const { text, parts } = renderChatParts(c.source, c.messages, {
      addGenerationPrompt: true,
      bosToken: '<s>',
      eosToken: '</s>',
      limits: { timeMs: c.timeMs },
      contextTokens: c.contextTokens,
    });
    if ((globalThis as Record<string, unknown>)[CANARY] !== false) return { case: c.case, kind: 'escape', detail: 'the template changed a JavaScript global' };
    if (ESCAPE_SIGNS.test(text)) return { case: c.case, kind: 'escape', detail: `output shows JavaScript internals: ${JSON.stringify(text.match(ESCAPE_SIGNS)?.[0])}` };
    if (parts.map((p) => p.text).join('') !== text) return { case: c.case, kind: 'crash', detail: 'renderChatParts parts do not add up to its text' };
    if (parts.some((p) => !p.parseSpecial && !p.untrusted)) return { case: c.case, kind: 'crash', detail: 'a message content part is not marked untrusted' };
    return { case: c.case, kind: 'accepted', detail: '' };
  } catch (e) {
    if ((globalThis as Record<string, unknown>)[CANARY] !== false) return { case: c.case, kind: 'escape', detail: 'the template changed a JavaScript global' };
    if (e instanceof ChatTemplateError && e.message.length > 0 && e.message.length < 2000) return { case: c.case, kind: 'rejected', detail: e.limit ?? 'error' };
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { case: c.case, kind: 'crash', detail: `not a clear ChatTemplateError: ${what.slice(0, 300)}` };
  }
}

process.on('message', (c: TemplateCase) => {
  process.send?.(render(c));
});
process.send?.({ case: -1, kind: 'accepted', detail: 'ready' } satisfies TemplateOutcome);
