// The generate/logits CLI commands (criterion 8), run in-process on a tiny synthetic model.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GGMLType } from '../../gpu/gguf/types';
import { writeSyntheticModel } from '../../gpu/model/synthetic';
import { generate } from '../../cli/commands/generate';
import { logits } from '../../cli/commands/logits';
import type { CliCommand } from '../../cli/command';

const dir = path.join(process.cwd(), 'tmp', 'engine-cli');
const file = path.join(dir, 'llama-q4k.gguf');

async function capture(cmd: CliCommand, argv: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  try {
    const code = await cmd.run(argv);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = orig;
  }
}

describe('CLI: generate and logits', function () {
  this.timeout(300_000);
  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    await writeSyntheticModel(file, { architecture: 'llama', type: GGMLType.Q4_K, seed: 5 });
  });

  it('generate --prompt-ids --greedy --json prints the generated ids and speeds', async () => {
    const r = await capture(generate, [file, '--prompt-ids', '5,6,7,8', '-n', '5', '--greedy', '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as { ids: number[]; prefill_tps: number; decode_tps: number };
    assert.equal(j.ids.length, 5);
    assert.ok(j.ids.every((x) => Number.isInteger(x) && x >= 0 && x < 320));
    assert.equal(typeof j.prefill_tps, 'number');
    assert.equal(typeof j.decode_tps, 'number');
    // BOS is prepended (the model asks for it): same result as giving it explicitly, unlike --no-bos
    const withBos = JSON.parse((await capture(generate, [file, '--prompt-ids', '1,5,6,7,8', '-n', '5', '--greedy', '--json'])).out) as { ids: number[] };
    assert.deepEqual(withBos.ids, j.ids);
  });

  it('logits --json: one entry per position with argmax and 8 [id, logit] pairs; --no-bos uses ids as given', async () => {
    const r = await capture(logits, [file, '--prompt-ids', '5,6,7', '--json']);
    const j = JSON.parse(r.out) as { positions: Array<{ argmax: number; top: Array<[number, number]> }> };
    assert.equal(j.positions.length, 4); // BOS prepended
    for (const p of j.positions) {
      assert.equal(p.top.length, 8);
      assert.equal(p.argmax, p.top[0][0]);
      for (let i = 1; i < 8; i++) assert.ok(p.top[i - 1][1] >= p.top[i][1]);
    }
    const nb = JSON.parse((await capture(logits, [file, '--prompt-ids', '5,6,7', '--json', '--no-bos'])).out) as { positions: unknown[] };
    assert.equal(nb.positions.length, 3);
  });

  it('generate streams text for --prompt, and SelfExtend flags are accepted', async () => {
    const r = await capture(generate, [file, '--prompt', 'the code', '-n', '4', '--greedy', '--group', '2', '--window', '8']);
    assert.equal(r.code, 0);
    assert.equal(typeof r.out, 'string');
  });

  it('rejects a prompt given twice or not at all, with usage', async () => {
    await assert.rejects(generate.run([file, '-n', '2']), /exactly one of --prompt/);
    await assert.rejects(logits.run([file, '--prompt-ids', '1,x']), /not a token id/);
  });
});
