import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from '../../cli/commands/inspect';
import { writeGGUF } from '../../gpu/gguf/writer';
import { GGMLType } from '../../gpu/gguf/types';
import { syntheticModelSpec } from '../../gpu/model/synthetic';
import { PASSKEY, STORIES, requireFile, rejectsWith } from './helpers';

async function runInspect(args: string[]): Promise<{ code: number; out: string }> {
  const orig = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await inspect.run(args);
    return { code, out };
  } finally {
    process.stdout.write = orig;
  }
}

describe('selfextend inspect', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'inspect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints architecture, sizes, types, context, rope and template presence for the passkey model', async () => {
    const { code, out } = await runInspect([PASSKEY]);
    assert.equal(code, 0);
    assert.match(out, /architecture\s+llama \(supported\)/);
    assert.match(out, /embedding 64, layers 4, heads 4, kv heads 2, head dim 16, ffn 176, vocab 329/);
    assert.match(out, /parameters\s+227,008/);
    assert.match(out, /tensors\s+39: F32 x39/);
    assert.match(out, /context\s+128 tokens/);
    assert.match(out, /rope\s+adjacent pairs, base 10000, dim 16, scaling none/);
    assert.match(out, /chat template\s+absent/);
    assert.match(out, /status\s+supported/);
  });

  it('--json gives the same facts as data', async function () {
    requireFile(this, STORIES);
    const { code, out } = await runInspect([STORIES, '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out) as { architecture: string; supported: boolean; dims: Record<string, number>; tiedEmbeddings: boolean; contextLength: number; tensorTypes: Record<string, number>; hasChatTemplate: boolean };
    assert.equal(j.architecture, 'llama');
    assert.equal(j.supported, true);
    assert.deepEqual(j.dims, { embedding: 64, layers: 5, heads: 8, kvHeads: 4, headDim: 8, ffn: 172, vocab: 512 });
    assert.equal(j.tiedEmbeddings, true);
    assert.equal(j.contextLength, 512);
    assert.deepEqual(j.tensorTypes, { F32: 47 });
    assert.equal(j.hasChatTemplate, false);
  });

  it('shows what it can of an unsupported model, with the reason, and exits 1', async () => {
    const spec = syntheticModelSpec({ architecture: 'llama', type: GGMLType.F32, dim: 64, ffnDim: 64, nLayers: 1, seed: 2 });
    const p = join(dir, 'gemma.gguf');
    await writeGGUF(p, {
      ...spec,
      metadata: spec.metadata.map((m) => (m.key === 'general.architecture' ? { ...m, value: 'gemma2' } : { ...m, key: m.key.replace(/^llama\./, 'gemma2.') })),
    });
    const { code, out } = await runInspect([p]);
    assert.equal(code, 1);
    assert.match(out, /architecture\s+gemma2\n/);
    assert.match(out, /embedding 64, layers 1/);
    assert.match(out, /NOT SUPPORTED \(unsupported-arch\): architecture 'gemma2' is not supported/);
    const j = JSON.parse((await runInspect([p, '--json'])).out) as { supported: boolean; reason: { code: string } };
    assert.equal(j.supported, false);
    assert.equal(j.reason.code, 'unsupported-arch');
  });

  it('a chat template and a llama3 rope_freqs tensor are reported', async () => {
    const p = join(dir, 'tmpl.gguf');
    const spec = syntheticModelSpec({ architecture: 'llama', type: GGMLType.F16, dim: 64, ffnDim: 64, nLayers: 1, seed: 2, llama3RopeFreqs: true, extraMetadata: [{ key: 'tokenizer.chat_template', type: 8, value: '{{ bos_token }}' }] });
    await writeGGUF(p, spec);
    const { code, out } = await runInspect([p]);
    assert.equal(code, 0);
    assert.match(out, /chat template\s+present/);
    assert.match(out, /scaling llama3 \(rope_freqs: 8 factors\)/);
    assert.match(out, /tensors\s+13: F16 x9, F32 x4/);
  });

  it('--target N: weights, KV cache per mode and type, activations and the total; --json has the same', async () => {
    const { code, out } = await runInspect([PASSKEY, '--target', '1000']);
    assert.equal(code, 0);
    assert.match(out, /memory\s+for a request of 1,000 tokens \(SelfExtend G=\d+ W=\d+\), 128 MiB bindings:/);
    assert.match(out, /KV cache\s+two key copies \(SelfExtend\): .* f16, .* f32; plain: .* f16, .* f32 \(also memory-lean SelfExtend, one key copy\); used: two key copies, f16/);
    assert.match(out, /total\s+.*\(what the engine allocates for this request\)/);
    const j = JSON.parse((await runInspect([PASSKEY, '--target', '1000', '--json'])).out) as { memory: { kvCache: { twoCopy: { f16: number; f32: number }; plain: { f16: number } }; totalBytes: number; weightsBytes: number; activationBytes: number; kvMode: string } };
    const m = j.memory;
    assert.equal(m.kvMode, 'twoCopy');
    // 4 layers × 2 KV heads × 16 × 2 B per copy and token: the second key copy adds a third.
    assert.equal(m.kvCache.twoCopy.f16 - m.kvCache.plain.f16, 1000 * 4 * 2 * 16 * 2);
    assert.ok(m.kvCache.twoCopy.f32 > m.kvCache.twoCopy.f16);
    assert.equal(m.totalBytes, m.weightsBytes + m.kvCache.twoCopy.f16 + m.activationBytes);
  });

  it('"supported" covers what loading checks: head dimension, target reach and binding limits', async () => {
    const odd = join(dir, 'hd6.gguf');
    await writeGGUF(odd, syntheticModelSpec({ architecture: 'llama', type: GGMLType.F32, dim: 64, ffnDim: 64, nLayers: 1, nHeads: 4, nKvHeads: 2, headDim: 6, seed: 2 }));
    const a = await runInspect([odd]);
    assert.equal(a.code, 1);
    assert.match(a.out, /NOT SUPPORTED \(unsupported-head-dim\): attention: head dim 6 is not supported/);
    const b = await runInspect([PASSKEY, '--target', '1000000']);
    assert.equal(b.code, 1);
    assert.match(b.out, /NOT SUPPORTED \(target-unreachable\)/);
    // 32 KV heads × 128 × f16 = 8 KiB per token and layer: 128 MiB bindings hold 16,384 positions.
    const wide = join(dir, 'wide-kv.gguf');
    await writeGGUF(wide, syntheticModelSpec({ architecture: 'llama', type: GGMLType.F16, dim: 64, ffnDim: 64, nLayers: 1, nHeads: 32, nKvHeads: 32, headDim: 128, contextLength: 8192, seed: 2 }));
    assert.equal((await runInspect([wide, '--target', '16384'])).code, 0);
    const c = await runInspect([wide, '--target', '20000']);
    assert.equal(c.code, 1);
    assert.match(c.out, /NOT SUPPORTED \(binding-limit\): .*at most 16384 tokens fit \(use --target 16384 or less\)/);
  });

  it('a malformed file is a GGUFError naming the problem; usage errors name the usage', async () => {
    await rejectsWith(() => runInspect([__filename]), 'bad-magic', /is not a GGUF file/);
    await assert.rejects(runInspect([]), /usage: selfextend inspect/);
  });
});
