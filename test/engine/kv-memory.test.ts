// GPU memory sized to the request (issue 12): the KV cache follows the window a request needs, grows
// with a copy of the cached prefix (same tokens as a cache that was large enough from the start), drops
// SelfExtend's grouped key copy when a request does not need it, and out-of-memory advice that, followed,
// makes the next request fit.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GGMLType } from '../../gpu/gguf/types';
import { openGGUF } from '../../gpu/gguf/reader';
import { writeSyntheticModel } from '../../gpu/model/synthetic';
import { describeModel } from '../../gpu/model/config';
import { totalTensorBytes } from '../../gpu/engine/weights';
import { planMemory, INITIAL_KV_TOKENS } from '../../gpu/engine/memory';
import { Engine, OutOfMemoryError, type GpuModel, type GenerateChunk, type GenerateOptions } from '../../gpu/engine/index';
import { rng } from '../helpers/engine-random';

const dir = path.join(process.cwd(), 'tmp', 'kv-memory-test');
const file = path.join(dir, 'qwen3-q8.gguf');

async function collect(m: GpuModel, input: readonly number[], opts: GenerateOptions): Promise<{ ids: number[]; chunks: GenerateChunk[] }> {
  const chunks: GenerateChunk[] = [];
  for await (const c of m.generate(input, opts)) chunks.push(c);
  return { ids: chunks.flatMap((c) => c.ids), chunks };
}

describe('engine: KV cache sized to the request', function () {
  this.timeout(300_000);
  let prompt: number[];
  const greedy = { greedy: true, addBos: false } as const;
  // Trained context L = 256 (synthetic default): W = 64, G = 4 reaches 832 tokens.
  const se = { groupSize: 4, neighborWindow: 64 };

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    await writeSyntheticModel(file, { architecture: 'qwen3', type: GGMLType.Q8_0, seed: 11, vocabSize: 300 });
    const r = rng(5);
    prompt = [1, ...Array.from({ length: 699 }, () => 3 + Math.floor(r() * 290))];
  });

  it('a short request allocates a small cache; a longer one grows it (prefix copied) and answers like a cache sized up front', async () => {
    const m = await Engine.load(file);
    try {
      assert.equal(m.kvCapacity, INITIAL_KV_TOKENS);
      assert.ok(m.maxContext >= 800, `maxContext ${m.maxContext}`);
      const small = m.kvMemoryBytes;
      await collect(m, prompt.slice(0, 100), { ...greedy, maxTokens: 4 });
      assert.equal(m.kvCapacity, INITIAL_KV_TOKENS);
      // 600 prompt tokens + 6: more than the cache holds, with SelfExtend (grouped key copy added).
      const grown = await collect(m, prompt.slice(0, 600), { ...greedy, maxTokens: 6, selfExtend: se });
      assert.equal(grown.chunks[0].cachedTokens, 100, 'the cached prefix survives the grow-and-copy');
      assert.equal(m.kvCapacity, 768);
      assert.ok(m.kvMemoryBytes > 2 * small, `${m.kvMemoryBytes} vs ${small}`);
      m.clearCache();
      const upFront = await collect(m, prompt.slice(0, 600), { ...greedy, maxTokens: 6, selfExtend: se });
      assert.equal(m.kvCapacity, 768);
      assert.equal(upFront.chunks[0].cachedTokens, 0);
      assert.deepEqual(grown.ids, upFront.ids);
      // A plain request drops the grouped key copy: memory follows the request.
      const withGrouped = m.kvMemoryBytes;
      await collect(m, prompt.slice(0, 50), { ...greedy, maxTokens: 2 });
      assert.ok(m.kvMemoryBytes < withGrouped, `${m.kvMemoryBytes} < ${withGrouped}`);
    } finally {
      m.dispose();
    }
  });

  it('over a memory budget: the error names the largest buffers and a context that fits; following it works', async () => {
    const gguf = await openGGUF(file);
    let budget: number;
    try {
      const config = await describeModel(gguf);
      // Room for 300 tokens of plain KV cache: less than that with SelfExtend's second key copy.
      const p = planMemory({ config, weightsBytes: totalTensorBytes(gguf), info: { limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 } as GPUSupportedLimits }, kvF16: true, chunk: 512, contextTokens: 300 });
      budget = p.totalBytes;
    } finally {
      await gguf.close();
    }
    // Two key copies forced: with 'auto' the engine would go memory-lean instead (next test).
    const m = await Engine.load(file, { memoryBudgetBytes: budget, kvKeyCopies: 'two' });
    try {
      let advice = 0;
      await assert.rejects(collect(m, prompt.slice(0, 250), { ...greedy, maxTokens: 4, selfExtend: { groupSize: 2, neighborWindow: 32 } }), (e: unknown) => {
        assert.ok(e instanceof OutOfMemoryError, String(e));
        assert.match(e.message, /weights .*shrink: a smaller model/);
        assert.match(e.message, /KV cache: keys .*shrink: a shorter context \(selfextend\.targetContext/);
        const m1 = /at most (\d+) tokens fits/.exec(e.message);
        assert.ok(m1, e.message);
        advice = Number(m1[1]);
        return true;
      });
      assert.ok(advice > 50 && advice < 254, `advice ${advice}`);
      const ok = await collect(m, prompt.slice(0, advice - 4), { ...greedy, maxTokens: 4, selfExtend: { groupSize: 2, neighborWindow: 32 } });
      assert.equal(ok.ids.length, 4);
    } finally {
      m.dispose();
    }
  });

  it("SelfExtend that does not fit with two key copies runs memory-lean (one copy) and answers like the two-copy cache", async () => {
    const gguf = await openGGUF(file);
    let budget: number;
    try {
      const config = await describeModel(gguf);
      const p = planMemory({ config, weightsBytes: totalTensorBytes(gguf), info: { limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 } as GPUSupportedLimits }, kvF16: true, chunk: 512, contextTokens: 300 });
      budget = p.totalBytes;
    } finally {
      await gguf.close();
    }
    const se2 = { groupSize: 2, neighborWindow: 32 };
    const lean = await Engine.load(file, { memoryBudgetBytes: budget });
    const two = await Engine.load(file, { kvKeyCopies: 'two' });
    try {
      const a = await collect(lean, prompt.slice(0, 250), { ...greedy, maxTokens: 4, selfExtend: se2 });
      const b = await collect(two, prompt.slice(0, 250), { ...greedy, maxTokens: 4, selfExtend: se2 });
      assert.deepEqual(a.ids, b.ids);
      assert.ok(lean.kvMemoryBytes < two.kvMemoryBytes, `${lean.kvMemoryBytes} < ${two.kvMemoryBytes}`);
    } finally {
      lean.dispose();
      two.dispose();
    }
  });

  it('q8_0 KV cache: about half the f16 KV memory, same prompts answered; logits agreement with f16 measured', async function () {
    const se2 = { groupSize: 2, neighborWindow: 32 };
    const f16 = await Engine.load(file, { kvKeyCopies: 'two' });
    const q8 = await Engine.load(file, { kvKeyCopies: 'two', kvCacheType: 'q8_0' });
    try {
      const ids = prompt.slice(0, 400);
      const a = await f16.logits(ids, { selfExtend: se2 });
      const b = await q8.logits(ids, { selfExtend: se2 });
      let top1 = 0;
      let worst = 0;
      const argmax = (r: Float32Array): number => r.reduce((best, v, i) => (v > r[best] ? i : best), 0);
      for (let i = 0; i < a.length; i++) {
        if (argmax(a[i]) === argmax(b[i])) top1++;
        for (let j = 0; j < a[i].length; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
        assert.ok(b[i].every(Number.isFinite), `non-finite q8_0 logits at ${i}`);
      }
      const agreement = top1 / a.length;
      if (this.test) this.test.title += ` [top-1 agreement ${(100 * agreement).toFixed(1)}%, max |Δlogit| ${worst.toFixed(3)}, KV ${q8.kvMemoryBytes} vs ${f16.kvMemoryBytes} bytes]`;
      // A wrong scale or byte order gives unrelated logits (agreement near 1/vocab); q8_0 noise does not.
      assert.ok(agreement >= 0.8, `top-1 agreement ${agreement}`);
      // Head dim 64: a q8_0 row is 64 + 4 bytes, an f16 row 128 (the RoPE table and scratch are the same).
      assert.equal(q8.kvCapacity, f16.kvCapacity);
      const c = q8.config;
      assert.equal(c.headDim, 64);
      const rows = c.nLayers * 3 * q8.kvCapacity * c.nKvHeads; // two key copies + values
      assert.equal(f16.kvMemoryBytes - q8.kvMemoryBytes, rows * (128 - 68));
      const g = await collect(q8, prompt.slice(0, 300), { ...greedy, maxTokens: 5, selfExtend: se2 });
      assert.equal(g.ids.length, 5);
    } finally {
      f16.dispose();
      q8.dispose();
    }
  });

  it('q8_0 on a head dim it cannot store fails the load with the setting to change', async () => {
    const odd = path.join(dir, 'llama-hd48.gguf');
    await writeSyntheticModel(odd, { architecture: 'llama', type: GGMLType.F32, seed: 3, dim: 192, nHeads: 4, vocabSize: 300, ffnDim: 256 });
    await assert.rejects(Engine.load(odd, { kvCacheType: 'q8_0' }), /q8_0 KV cache needs a head dimension that is a multiple of 32 \(this model's is 48\); use selfextend.kvCacheType f16/);
  });
});
