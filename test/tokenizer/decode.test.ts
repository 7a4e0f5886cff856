// decode(encode(x)) == x, and stream decoding that never splits a UTF-8 character across chunks,
// on every vocabulary we have (SPM with byte fallback, byte-level BPE).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../../gpu/tokenizer';
import { llama3Tokenizer, qwenTokenizer, sharedMissing, tokenizerFromGGUF, VOCAB_DIR } from './helpers';

const SAMPLES = [
  'Hello world',
  ' leading space, and  two',
  '  two leading spaces\n\n\tthen tabs\r\n',
  'emoji 🦙🚀 😶‍🌫️ 👨‍👩‍👧 and flags 🇫🇷',
  'CJK 我想在apple工作 日本語のテキスト 한국어',
  'Khmer កាន់តែពិសេស, Arabic مرحبا, Hindi नमस्ते',
  'const x = a <= b ? "<|im_start|>" : `<s>${y}</s>`; // not special',
  'trailing spaces   ',
  '\u00a0nbsp and\u200bzero width\ufeffbom',
  'a'.repeat(300) + ' ' + '=-'.repeat(200),
];

function streamAll(tok: Tokenizer, ids: readonly number[]): { chunks: string[]; text: string } {
  const dec = tok.createStreamDecoder({ skipSpecial: true });
  const chunks = ids.map((id) => dec.push(id));
  chunks.push(dec.flush());
  return { chunks, text: chunks.join('') };
}

function checkTokenizer(tok: Tokenizer): void {
  let heldSomething = false;
  for (const text of SAMPLES) {
    for (const addBos of [true, false]) {
      if (addBos && tok.bosId === null) continue;
      const ids = tok.encode(text, { addBos });
      assert.equal(tok.decode(ids, { skipSpecial: true }), text, `round trip of ${JSON.stringify(text)} (addBos=${addBos})`);
      const { chunks, text: streamed } = streamAll(tok, ids);
      assert.equal(streamed, text, `stream of ${JSON.stringify(text)}`);
      for (const c of chunks) assert.ok(!c.includes('\ufffd'), `a chunk split a character: ${JSON.stringify(chunks)}`);
      if (chunks.some((c, i) => c === '' && i < ids.length && tok.decode([ids[i]], { skipSpecial: true }) !== '')) heldSomething = true;
    }
  }
  // Emoji and CJK span several tokens in every vocabulary here, so the decoder must have held bytes back.
  assert.ok(heldSomething, 'expected at least one token whose bytes were held for the next chunk');
}

describe('tokenizer decode and stream decode', function () {
  for (const name of ['llama-spm', 'phi-3', 'gpt-2', 'deepseek-coder', 'starcoder']) {
    it(`${name}: decode(encode(x)) == x and streamed chunks are whole characters`, async function () {
      const file = path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
      const missing = sharedMissing(VOCAB_DIR) ?? (fs.existsSync(file) ? null : `${file} is absent`);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      checkTokenizer((await tokenizerFromGGUF(file)).tok);
    });
  }
  it('llama-bpe (llama 3 data): decode(encode(x)) == x and streamed chunks are whole characters', () => checkTokenizer(llama3Tokenizer()));
  it('qwen2 (qwen 3 data): decode(encode(x)) == x and streamed chunks are whole characters', () => checkTokenizer(qwenTokenizer()));

  it('holds an incomplete character until its last byte, and flush() reports a dangling one', () => {
    const tok = llama3Tokenizer();
    // '🦙' is four UTF-8 bytes; find a split of it over tokens by encoding it after a letter.
    const ids = tok.encode('x🦙', { addBos: false });
    assert.ok(ids.length >= 3, `expected the emoji to need several tokens, got ${ids.join(',')}`);
    const dec = tok.createStreamDecoder();
    const out = ids.map((id) => dec.push(id));
    assert.deepEqual(out.slice(1, -1).every((s) => s === ''), true);
    assert.equal(out.join('') + dec.flush(), 'x🦙');
    const partial = tok.createStreamDecoder();
    partial.push(ids[0]);
    assert.equal(partial.push(ids[1]), '');
    assert.equal(partial.flush(), '\ufffd');
  });

  it('shows control tokens unless skipSpecial, and rejects ids outside the vocabulary', () => {
    const tok = llama3Tokenizer();
    const ids = tok.encode('<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>', { parseSpecial: true });
    assert.equal(ids[0], tok.bosId);
    assert.equal(tok.decode(ids), '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>');
    assert.equal(tok.decode(ids, { skipSpecial: true }), 'user\n\nHi');
    assert.throws(() => tok.decode([tok.vocabSize]), RangeError);
    assert.throws(() => tok.decode([-1]), RangeError);
  });
});
