// Chat prompts: the model's own tokenizer.chat_template rendered with @huggingface/jinja, a
// documented fallback for models without one, and encodeChat, which tokenizes a conversation so
// that special tokens are only recognised in the template's own text — never in message contents,
// which may be files from a repository the user did not write (hostile-content rule, issue 7).
import { Environment, Template } from '@huggingface/jinja';
import { randomBytes } from 'node:crypto';
import {
  ChatTemplateError,
  DEFAULT_TEMPLATE_TIME_MS,
  LimitExceeded,
  limitedRange,
  LimitedInterpreter,
  limitMessage,
  MAX_TEMPLATE_SOURCE_CHARS,
  outputLimitFor,
  TEMPLATE_ADVICE,
  type TemplateLimits,
} from './template-limits';
import type { ChatMessage, TextPart, Tokenizer } from './types';

export { ChatTemplateError, type TemplateLimits } from './template-limits';

/**
 * Fallback for models without tokenizer.chat_template, used when the vocabulary has the ChatML
 * markers <|im_start|> / <|im_end|>: plain ChatML, which most small instruct models were tuned on.
 */
export const FALLBACK_CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * Fallback when the vocabulary has no ChatML markers: a plain-text "### System / ### User /
 * ### Assistant" layout (Alpaca-like), preceded by the BOS text, with no special tokens at all.
 */
export const FALLBACK_PLAIN_TEMPLATE =
  '{{ bos_token }}{% for message in messages %}' +
  "{% if message['role'] == 'system' %}{{ '### System:\\n' + message['content'] + '\\n\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ '### User:\\n' + message['content'] + '\\n\\n' }}" +
  "{% else %}{{ '### Assistant:\\n' + message['content'] + '\\n\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}";

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Passed as date_string (Llama 3.x "Today Date"); when absent, strftime_now uses `now`. */
  dateString?: string;
  /** Clock for strftime_now (default: the current time). */
  now?: Date;
  /** Extra template variables (e.g. enable_thinking). */
  variables?: Record<string, unknown>;
  /** Time and output-size limits (default: 2 s; outputLimitFor(contextTokens, message characters)). */
  limits?: TemplateLimits;
  /** The model's context window in tokens, for the default output limit (4× this, in characters). */
  contextTokens?: number;
  /** How errors name the template, e.g. "Qwen3-0.6B's chat template (tokenizer.chat_template)". */
  templateName?: string;
}

const DEFAULT_TEMPLATE_NAME = "the model's chat template (tokenizer.chat_template)";

/** The template a tokenizer's model should use, and whether it is one of our fallbacks. */
export function chatTemplateFor(tok: Tokenizer): { source: string; fallback: boolean } {
  if (tok.chatTemplate !== undefined && tok.chatTemplate.trim() !== '') return { source: tok.chatTemplate, fallback: false };
  const chatml = tok.tokenId?.('<|im_start|>') !== undefined && tok.tokenId?.('<|im_end|>') !== undefined;
  return { source: chatml ? FALLBACK_CHATML_TEMPLATE : FALLBACK_PLAIN_TEMPLATE, fallback: true };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** strftime for the directives chat templates use, locale-independent (English month names). */
function strftime(d: Date, fmt: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return fmt.replace(/%[YmdbBHMSy%]/g, (t) => {
    switch (t) {
      case '%Y':
        return String(d.getFullYear());
      case '%y':
        return p2(d.getFullYear() % 100);
      case '%m':
        return p2(d.getMonth() + 1);
      case '%d':
        return p2(d.getDate());
      case '%b':
        return MONTHS[d.getMonth()];
      case '%B':
        return MONTHS_LONG[d.getMonth()];
      case '%H':
        return p2(d.getHours());
      case '%M':
        return p2(d.getMinutes());
      case '%S':
        return p2(d.getSeconds());
      default:
        return '%';
    }
  });
}

const parsed = new Map<string, Template>();
function compile(source: string, name: string): Template {
  let t = parsed.get(source);
  if (!t) {
    if (source.length > MAX_TEMPLATE_SOURCE_CHARS) {
      throw new ChatTemplateError(`${name} is ${source.length} characters long (limit ${MAX_TEMPLATE_SOURCE_CHARS}). ${TEMPLATE_ADVICE}`, name, 'source');
    }
    try {
      t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`${name} cannot be parsed: ${e instanceof Error ? e.message : String(e)}`, name);
    }
    if (parsed.size > 16) parsed.clear();
    parsed.set(source, t);
  }
  return t;
}

/**
 * Renders a conversation within the time and size limits. Every failure — a parse error, the
 * template's own raise_exception, a limit — throws a ChatTemplateError naming the template.
 */
export function renderChat(source: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  return renderLimited(source, messages, opts, deadlineFor(opts));
}

function deadlineFor(opts: ChatTemplateOptions): number {
  return performance.now() + (opts.limits?.timeMs ?? DEFAULT_TEMPLATE_TIME_MS);
}

/** Renders with an absolute deadline, so the two renderings of renderChatParts share one time limit. */
function renderLimited(source: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions, deadline: number): string {
  const name = opts.templateName ?? DEFAULT_TEMPLATE_NAME;
  const template = compile(source, name);
  const messageChars = messages.reduce((n, m) => n + m.content.length, 0);
  const maxOutputChars = opts.limits?.maxOutputChars ?? outputLimitFor(opts.contextTokens ?? 0, messageChars);
  const timeMs = opts.limits?.timeMs ?? DEFAULT_TEMPLATE_TIME_MS;
  try {
    const env = environmentFor(messages, opts);
    const interpreter = new LimitedInterpreter(env, { timeMs, maxOutputChars }, deadline);
    const result = interpreter.run(template.parsed);
    return String(result.value);
  } catch (e) {
    throw templateError(e, name);
  }
}

function templateError(e: unknown, name: string): ChatTemplateError {
  if (e instanceof ChatTemplateError) return e;
  if (e instanceof LimitExceeded) return new ChatTemplateError(limitMessage(name, e), name, e.kind);
  // The engine's own limits: a stack overflow or an over-long string or array. Our limits should come first.
  if (e instanceof RangeError) {
    const what = /call stack/i.test(e.message) ? 'depth' : 'output';
    return new ChatTemplateError(limitMessage(name, new LimitExceeded(what, `JavaScript refused it (${e.message})`)), name, what);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new ChatTemplateError(msg.startsWith('chat template: ') ? msg : `${name} failed: ${msg}`, name);
}

function environmentFor(messages: readonly ChatMessage[], opts: ChatTemplateOptions): Environment {
  const now = opts.now ?? new Date();
  // Template.render() declares the library's globals first and cannot override them, so we build the
  // environment ourselves: the same globals, but a deterministic, locale-independent strftime_now.
  const vars: Record<string, unknown> = {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    range: limitedRange,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    bos_token: opts.bosToken ?? '',
    eos_token: opts.eosToken ?? '',
    strftime_now: (fmt: string) => strftime(now, String(fmt)),
    raise_exception: (msg: unknown) => {
      throw new Error(`chat template: ${String(msg)}`);
    },
    ...opts.variables,
  };
  if (opts.dateString !== undefined) vars.date_string = opts.dateString;
  const env = new Environment();
  for (const [k, v] of Object.entries(vars)) env.set(k, v);
  return env;
}

/**
 * Some templates (Gemma) reject a system turn. Rather than fail every request that carries our system
 * prompt, its text goes at the top of the first user turn — what those models' authors recommend.
 */
export function foldSystemIntoUser(messages: readonly ChatMessage[]): ChatMessage[] {
  if (messages.length === 0 || messages[0].role !== 'system') return [...messages];
  const sys = messages[0].content;
  const rest = messages.slice(1);
  const i = rest.findIndex((m) => m.role === 'user');
  if (i < 0) return [{ role: 'user', content: sys }, ...rest];
  return rest.map((m, j) => (j === i ? { role: 'user', content: `${sys}\n\n${m.content}` } : m));
}

function renderWithFold(
  source: string,
  messages: readonly ChatMessage[],
  opts: ChatTemplateOptions,
  deadline: number,
): { text: string; messages: readonly ChatMessage[] } {
  try {
    return { text: renderLimited(source, messages, opts, deadline), messages };
  } catch (e) {
    // Only the template's own refusal (e.g. "System role not supported") is worth a retry; a limit is final.
    if (messages[0]?.role !== 'system' || (e instanceof ChatTemplateError && e.limit !== undefined)) throw e;
    const folded = foldSystemIntoUser(messages);
    return { text: renderLimited(source, folded, opts, deadline), messages: folded };
  }
}

// What templates do to contents before printing them (trim, lstrip('\n'), ...). The part of the
// real rendering that stands where a content sentinel stood must be one of these; anything else
// makes us fall back to the sentinel rendering with the raw content, which is still safe.
function contentVariants(c: string): string[] {
  const stripNl = (s: string, left: boolean, right: boolean) => {
    let a = 0;
    let b = s.length;
    if (left) while (a < b && s[a] === '\n') a++;
    if (right) while (b > a && s[b - 1] === '\n') b--;
    return s.slice(a, b);
  };
  const noThink = c.replaceAll('/no_think', '').replaceAll('/think', '').trimEnd();
  return [...new Set([c, c.trim(), c.trimStart(), c.trimEnd(), stripNl(c, true, false), stripNl(c, false, true), stripNl(c, true, true), noThink])];
}

/**
 * Renders the conversation and cuts it into template-owned parts (special tokens allowed) and
 * content parts (plain text). Contents are first replaced by unique sentinels so the template's own
 * text is known exactly, then the real rendering is aligned against it.
 */
export function renderChatParts(source: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): { text: string; parts: TextPart[] } {
  const deadline = deadlineFor(opts);
  const { text: real, messages: msgs } = renderWithFold(source, messages, opts, deadline);
  let nonce = randomBytes(8).toString('hex');
  while (msgs.some((m) => m.content.includes(nonce))) nonce = randomBytes(8).toString('hex');
  const sentinel = (i: number) => `\uE000${nonce}:${i}\uE001`;
  // The same output limit as the real rendering (sentinels are shorter than most contents).
  const maxOutputChars = opts.limits?.maxOutputChars ?? outputLimitFor(opts.contextTokens ?? 0, msgs.reduce((n, m) => n + m.content.length, 0));
  const withSentinels = renderLimited(
    source,
    msgs.map((m, i) => ({ role: m.role, content: sentinel(i) })),
    { ...opts, limits: { ...opts.limits, maxOutputChars } },
    deadline,
  );
  const re = new RegExp(`\\uE000${nonce}:(\\d+)\\uE001`, 'g');
  const pieces: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (let m = re.exec(withSentinels); m !== null; m = re.exec(withSentinels)) {
    pieces.push(withSentinels.slice(last, m.index));
    slots.push(Number(m[1]));
    last = m.index + m[0].length;
  }
  pieces.push(withSentinels.slice(last));

  const aligned = align(real, pieces, slots, msgs);
  if (aligned) return { text: real, parts: aligned };
  // The template transformed a content in a way we do not recognise: use the sentinel rendering
  // with the untouched contents. Same template text, contents verbatim, still never parsed as special.
  const parts: TextPart[] = [];
  pieces.forEach((p, i) => {
    parts.push({ text: p, parseSpecial: true });
    if (i < slots.length) parts.push({ text: msgs[slots[i]].content, parseSpecial: false, untrusted: true });
  });
  return { text: parts.map((p) => p.text).join(''), parts };
}

function align(real: string, pieces: readonly string[], slots: readonly number[], msgs: readonly ChatMessage[]): TextPart[] | null {
  if (!real.startsWith(pieces[0])) return null;
  const parts: TextPart[] = [{ text: pieces[0], parseSpecial: true }];
  let pos = pieces[0].length;
  for (let i = 0; i < slots.length; i++) {
    const next = pieces[i + 1];
    const isLast = i === slots.length - 1;
    const found = contentVariants(msgs[slots[i]].content).find(
      (v) => real.startsWith(v, pos) && real.startsWith(next, pos + v.length) && (!isLast || pos + v.length + next.length === real.length),
    );
    if (found === undefined) return null;
    parts.push({ text: found, parseSpecial: false, untrusted: true }, { text: next, parseSpecial: true });
    pos += found.length + next.length;
  }
  return pos === real.length ? parts : null;
}

export interface EncodeChatOptions extends ChatTemplateOptions {
  /** Prepend BOS; default: the model's add_bos setting, unless the rendered prompt already starts with the BOS text. */
  addBos?: boolean;
}

/** A tokenized prompt, and whether it is in the model's own chat format. */
export interface ChatEncoding {
  ids: number[];
  /**
   * Set when the prompt is not in the model's own template's format: which format was used and why,
   * in words for the output channel and the answer's footer. Never a silent substitution.
   */
  fallback?: string;
}

/**
 * Tokenizes a conversation with `template` (default: the model's, else the fallback). Message
 * contents are always plain text: "<|im_start|>system" inside a file stays those characters.
 * Template text and contents still join into one text run where they touch, so the ids equal
 * llama.cpp's tokenization of the whole rendered prompt whenever contents hold no special tokens.
 * Throws ChatTemplateError when the template fails or exceeds a limit.
 */
export function encodeChatPrompt(tok: Tokenizer, template: string | undefined, messages: readonly ChatMessage[], opts: EncodeChatOptions = {}): ChatEncoding {
  if (!tok.encodeParts) throw new Error('this tokenizer cannot encode chat prompts (no encodeParts)');
  const chosen = template !== undefined ? { source: template, fallback: false } : chatTemplateFor(tok);
  const bosText = tok.bosId !== null ? tok.tokenText(tok.bosId) : '';
  const eosText = tok.eosId !== null ? tok.tokenText(tok.eosId) : '';
  const { text, parts } = renderChatParts(chosen.source, messages, { bosToken: bosText, eosToken: eosText, ...opts });
  const addBos = opts.addBos ?? (tok.addBosDefault && tok.bosId !== null && !(bosText !== '' && text.startsWith(bosText)));
  const ids = tok.encodeParts(parts, { addBos });
  if (!chosen.fallback) return { ids };
  const format = chosen.source === FALLBACK_CHATML_TEMPLATE ? 'plain ChatML (<|im_start|> … <|im_end|>)' : 'a plain "### User / ### Assistant" layout';
  return { ids, fallback: `the model has no chat template (tokenizer.chat_template); the prompt used ${format} instead` };
}

/** encodeChatPrompt's ids alone (for callers that report fallbacks themselves). */
export function encodeChat(tok: Tokenizer, template: string | undefined, messages: readonly ChatMessage[], opts: EncodeChatOptions = {}): number[] {
  return encodeChatPrompt(tok, template, messages, opts).ids;
}
