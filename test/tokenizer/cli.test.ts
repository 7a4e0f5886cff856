// `selfextend tokenize`, run in-process on a ../shared vocabulary GGUF.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tokenize } from '../../cli/commands/tokenize';
import { sharedMissing, VOCAB_DIR } from './helpers';

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array) => {
    chunks.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await tokenize.run(argv);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = orig;
  }
}

describe('selfextend tokenize', function () {
  const model = path.join(VOCAB_DIR, 'ggml-vocab-phi-3.gguf');
  beforeEach(function () {
    const missing = sharedMissing(VOCAB_DIR) ?? (fs.existsSync(model) ? null : `${model} is absent`);
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
  });

  it('prints ids (with BOS by default), as JSON with --json', async () => {
    // From ggml-vocab-phi-3.gguf.inp/.out: "Hello world" -> 15043 3186 (and BOS 1 in front).
    assert.deepEqual(await run([model, '--text', 'Hello world']), { code: 0, out: '1 15043 3186\n' });
    assert.deepEqual(JSON.parse((await run([model, '--text', 'Hello world', '--json', '--no-bos'])).out), { ids: [15043, 3186] });
  });

  it('parses special tokens only with --special', async () => {
    const plain = JSON.parse((await run([model, '--text', '<|end|>', '--json', '--no-bos'])).out) as { ids: number[] };
    assert.ok(!plain.ids.includes(32007), `plain text must not become <|end|>: ${plain.ids.join(' ')}`);
    assert.deepEqual(JSON.parse((await run([model, '--text', '<|end|>', '--json', '--no-bos', '--special'])).out), { ids: [32007] });
  });

  it('decodes --ids, showing control tokens unless --skip-special', async () => {
    assert.deepEqual(await run([model, '--ids', '1,15043,32007,3186']), { code: 0, out: '<s>Hello<|end|> world\n' });
    assert.deepEqual(JSON.parse((await run([model, '--ids', '1,15043,32007,3186', '--json', '--skip-special'])).out), { text: 'Hello world' });
  });

  it('rejects bad input with a clear message', async () => {
    await assert.rejects(run([model, '--ids', '1,99999999']), /outside the vocabulary/);
    await assert.rejects(run([model, '--ids', '1,x']), /not a token id/);
    await assert.rejects(run([model]), /exactly one of --text, --file or --ids/);
    await assert.rejects(run([path.join(VOCAB_DIR, 'missing.gguf'), '--text', 'x']), /cannot open/);
  });
});
