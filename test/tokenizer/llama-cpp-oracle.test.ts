// Cross-check against llama.cpp itself (node-llama-cpp's prebuilt CPU build, vocab-only loads of the
// ../shared vocab files) on what the .inp cases do not cover: special tokens written in text with
// special parsing on and off, Phi-3's whitespace stripping after special tokens, and hostile strings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokenType } from '../../gpu/tokenizer';
import { sharedMissing, tokenizerFromGGUF, VOCAB_DIR } from './helpers';

interface OracleModel {
  tokenize(text: string, specialTokens?: boolean): readonly number[];
  dispose(): Promise<void>;
}

async function loadOracle(file: string): Promise<OracleModel> {
  const mod = (await import('node-llama-cpp')) as typeof import('node-llama-cpp');
  const llama = await mod.getLlama({ gpu: false, build: 'never', logLevel: mod.LlamaLogLevel.error });
  return (await llama.loadModel({ modelPath: file, vocabOnly: true })) as unknown as OracleModel;
}

const FIXED = [
  '<|user|>\n  Hi there<|end|>\n<|assistant|>\n',
  '<s>Hi</s> x',
  '<|im_start|>system\nYou are helpful<|im_end|>\n<|im_start|>user\n',
  '<|endoftext|>a <|endoftext|> b',
  'hello <fim_prefix>def f():<fim_suffix>\n<fim_middle>',
  '<｜begin▁of▁sentence｜>User: hi\n\nAssistant:',
  '   leading and trailing   ',
  '\n\n\ttabs\t\n  \r\n',
  'Ä ö ü 😀 👨‍👩‍👧 中文 日本語 한국어 ﷽',
  'function f(a, b) {\n    return a <= b ? "<|im_end|>" : `${a}`;\n}\n',
];

describe('tokenizer vs llama.cpp (node-llama-cpp) on special tokens', function () {
  for (const name of ['llama-spm', 'phi-3', 'gpt-2', 'deepseek-coder', 'starcoder']) {
    it(`${name}: same ids with and without special parsing`, async function () {
      const file = path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
      const missing = sharedMissing(VOCAB_DIR) ?? (fs.existsSync(file) ? null : `${file} is absent`);
      if (missing) {
        console.log(`      skipped: ${missing}`);
        this.skip();
      }
      const { tok, data } = await tokenizerFromGGUF(file);
      let oracle: OracleModel;
      try {
        oracle = await loadOracle(file);
      } catch (e) {
        // Only when llama.cpp itself cannot run here (no prebuilt binary for this platform).
        console.log(`      skipped: node-llama-cpp could not load ${file}: ${e instanceof Error ? e.message : String(e)}`);
        this.skip();
      }
      try {
        // Special (control, user-defined, unknown) tokens of the vocabulary, embedded between words.
        const specials: string[] = [];
        const kinds = new Set<number>([TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.UNKNOWN]);
        data.tokenTypes?.forEach((ty, id) => {
          if (kinds.has(ty)) specials.push(tok.tokenText(id));
        });
        const texts = [...FIXED, ...specials.slice(0, 60).map((s, i) => `x${i} ${s} y${s}z\n${s}`)];
        // One long text too: large inputs take a faster path to rule out special tokens.
        const joined = texts.join('\n');
        texts.push(joined.repeat(Math.ceil(6000 / joined.length)));
        let checked = 0;
        for (const text of texts) {
          for (const parseSpecial of [false, true]) {
            const want = Array.from(oracle.tokenize(text, parseSpecial));
            const got = tok.encode(text, { addBos: false, parseSpecial });
            assert.deepEqual(got, want, `${JSON.stringify(text)} parseSpecial=${parseSpecial}`);
            checked++;
          }
        }
        console.log(`      ${name}: ${checked}/${checked} encodings equal llama.cpp's`);
      } finally {
        await oracle.dispose();
      }
    });
  }
});
