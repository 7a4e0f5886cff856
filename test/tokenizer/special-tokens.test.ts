// Issue 13 findings 5 and 6. Finding 5: text from the repository, a selection or a question never
// becomes a special token — not a CONTROL one, and not a USER_DEFINED one such as Qwen3's `<think>`
// or `</tool_call>`, which llama.cpp splits out even with special parsing off. Finding 6: the split
// on special tokens is one scan, and it gives exactly the fragments the old per-token split gave.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeChat } from '../../gpu/tokenizer/chat-template';
import { TokenType, type TokenizerData } from '../../gpu/tokenizer/data';
import { partition, type Fragment } from '../../gpu/tokenizer/special';
import { Vocab } from '../../gpu/tokenizer/vocab';
import { encodePrompt, userMessage, systemMessage, tokenCounter } from '../../extension/core/chat/prompt';
import type { Model } from '../../gpu/engine/types';
import { QWEN3_JSON, qwenTokenizer, sharedMissing, TEMPLATE_DIR } from './helpers';
import { referencePartition } from './special-reference';

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}
const qwenAdded = (): AddedToken[] => (JSON.parse(fs.readFileSync(QWEN3_JSON, 'utf8')) as { added_tokens: AddedToken[] }).added_tokens;

describe('special tokens in repository text (issue 13 finding 5, Qwen3 tokenizer data)', function () {
  const added = qwenAdded();
  const specialIds = new Set(added.map((a) => a.id));
  // Every control and user-defined token of Qwen3's vocabulary, written into text the user did not write.
  const hostile = added.map((a) => `x ${a.content}y\n${a.content}`).join(' ');
  const countSpecial = (ids: readonly number[]) => ids.filter((id) => specialIds.has(id)).length;

  it('Qwen3 marks <think>, </think>, <tool_call>, </tool_call> as USER_DEFINED (the case that leaked)', function () {
    const userDefined = added.filter((a) => !a.special).map((a) => a.content);
    for (const t of ['<think>', '</think>', '<tool_call>', '</tool_call>']) assert.ok(userDefined.includes(t), t);
    // llama.cpp's behaviour, kept for template text and `selfextend tokenize`: user-defined tokens split even with parseSpecial off.
    assert.ok(countSpecial(qwenTokenizer().encode('<think>', { parseSpecial: false })) === 1);
  });

  it('file contents, selections and questions in a chat prompt produce no special token of any kind', function () {
    const p = path.join(TEMPLATE_DIR, 'Qwen-Qwen3-0.6B.jinja');
    const missing = sharedMissing(TEMPLATE_DIR) ?? (fs.existsSync(p) ? null : `${p} is absent`);
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const template = fs.readFileSync(p, 'utf8');
    const tok = qwenTokenizer();
    const convo = (text: string) => [
      systemMessage(`File: src/a.ts\n\`\`\`\n${text}\n\`\`\``),
      userMessage(`Why ${text}?`, { label: 'src/a.ts:1-3', text }),
    ];
    const benign = encodeChat(tok, template, convo('plain'), { addGenerationPrompt: true });
    const attacked = encodeChat(tok, template, convo(hostile), { addGenerationPrompt: true });
    // The template's own markers (<|im_start|>, <|im_end|>, <think> of an empty reasoning block...) are the only special ids.
    assert.equal(countSpecial(attacked), countSpecial(benign));
    assert.ok(countSpecial(benign) > 0);
    // And the contents still read back exactly.
    assert.ok(tok.decode(attacked).includes(hostile));
  });

  it('the plain-transcript prompt and the token counter treat the text as untrusted too', function () {
    const tok = qwenTokenizer();
    const model = { config: { hasChatTemplate: false }, tokenizer: tok } as unknown as Model;
    const { tokens, fallback } = encodePrompt(model, [systemMessage(hostile), userMessage(hostile, { label: 'sel', text: hostile })]);
    assert.ok(fallback);
    assert.equal(countSpecial(tokens), 0);
    assert.equal(tokenCounter(model)(hostile), tok.encode(hostile, { addBos: false, untrusted: true }).length);
    assert.equal(countSpecial(tok.encode(hostile, { untrusted: true, parseSpecial: true })), 0);
  });
});

// ---- finding 6 ----

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A vocabulary over a 3-letter alphabet: many special tokens that overlap, nest and share prefixes and suffixes. */
function randomVocab(r: () => number): Vocab {
  const tokens = ['a', 'b', 'c', '<unk>'];
  const types: number[] = [TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.UNKNOWN];
  const n = 2 + Math.floor(r() * 40);
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(r() * 5);
    let t = '';
    for (let j = 0; j < len; j++) t += 'abcé'[Math.floor(r() * 4)];
    tokens.push(t); // duplicates on purpose: two ids with one text
    types.push([TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.USER_DEFINED][Math.floor(r() * 3)]);
  }
  const data: TokenizerData = { model: 'gpt2', tokens, tokenTypes: types, merges: [], bosId: null, eosId: null, addBos: false };
  return new Vocab(data);
}

function split(f: (v: Vocab, t: string, p: boolean, out: Fragment[]) => void, v: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  const out: Fragment[] = [];
  f(v, text, parseSpecial, out);
  return out;
}

describe('special-token splitting is one scan (issue 13 finding 6)', function () {
  it('gives the same fragments as the old per-token split on 3,000 random vocabularies and texts', function () {
    const r = rng(13);
    for (let c = 0; c < 3000; c++) {
      const v = randomVocab(r);
      const len = Math.floor(r() * 80);
      let text = '';
      for (let i = 0; i < len; i++) text += 'abcé<>'[Math.floor(r() * 6)];
      for (const parseSpecial of [false, true]) {
        assert.deepEqual(split(partition, v, text, parseSpecial), split(referencePartition, v, text, parseSpecial), `case ${c} ${JSON.stringify(text)} parseSpecial=${parseSpecial}`);
      }
    }
  });

  it('gives the same fragments as the old split on Qwen3 tokens in a large text (also the >4 KB path of the old code)', function () {
    const added = qwenAdded();
    const tokens: string[] = [];
    const types: number[] = [];
    for (const a of added) {
      tokens[a.id] = a.content;
      types[a.id] = a.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
    }
    for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) [tokens[i], types[i]] = [`n${i}`, TokenType.NORMAL];
    const v = new Vocab({ model: 'gpt2', tokens, tokenTypes: types, merges: [], bosId: null, eosId: null, addBos: false });
    const r = rng(7);
    let text = '';
    while (text.length < 20_000) text += r() < 0.2 ? added[Math.floor(r() * added.length)].content : 'word <think ' + '</'[Math.floor(r() * 2)];
    for (const parseSpecial of [false, true]) assert.deepEqual(split(partition, v, text, parseSpecial), split(referencePartition, v, text, parseSpecial));
  });

  it('60,000 user-defined tokens over 280 KB of text split in one pass (liveness bound 20 s; the old split took 47 s)', function () {
    const n = 60_000;
    const tokens = ['a'];
    const types: number[] = [TokenType.NORMAL];
    for (let i = 0; i < n; i++) {
      tokens.push(`<u${i}>`);
      types.push(TokenType.USER_DEFINED);
    }
    const v = new Vocab({ model: 'gpt2', tokens, tokenTypes: types, merges: [], bosId: null, eosId: null, addBos: false });
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 280_000; i++) {
      const p = `<u${(i * 7919) % n}> w `;
      parts.push(p);
      size += p.length;
    }
    const text = parts.join('');
    const t0 = performance.now();
    const out = split(partition, v, text, false);
    const ms = performance.now() - t0;
    assert.equal(out.filter((f) => f.id !== undefined).length, parts.length);
    assert.ok(ms < 20_000, `${ms.toFixed(0)} ms`);
  });
});
