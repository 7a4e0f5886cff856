// The memory planner (issue 12): every buffer counted, the largest binding checked, the figures the
// catalog states, and the goals for real model layouts (computed from their public shapes).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  planMemory,
  planRequest,
  layoutConfig,
  largestRequestWithin,
  kvBytesPerToken,
  kvCapacityFor,
  outOfMemoryMessage,
  DEFAULT_LIMITS,
  INITIAL_KV_TOKENS,
  type ModelLayout,
} from '../../gpu/engine/memory';
import { MODEL_CATALOG, CATALOG_TARGET_CONTEXT, formatSize } from '../../extension/core/models/catalog';
import { DEFAULT_SETTINGS } from '../../extension/core/chat/settings';
import { OutOfMemoryError } from '../../gpu/engine/errors';
import { GGMLType } from '../../gpu/gguf/types';
import { writeSyntheticModel } from '../../gpu/model/synthetic';
import { chooseSelfExtend } from '../../gpu/attention/params';
import { Engine } from '../../gpu/engine/index';
import { planAutoTarget } from '../../gpu/engine/auto-target';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const QWEN15: ModelLayout = { nLayers: 28, embeddingDim: 1536, nHeads: 12, nKvHeads: 2, headDim: 128, ffnDim: 8960, vocabSize: 151936, contextLength: 32768 };
const LLAMA3B: ModelLayout = { nLayers: 28, embeddingDim: 3072, nHeads: 24, nKvHeads: 8, headDim: 128, ffnDim: 8192, vocabSize: 128256, contextLength: 131072 };
const QWEN15_Q4KM = 1_117_320_768;
const LLAMA3B_Q4KM = 2_019_377_696;

describe('memory plan: every buffer', () => {
  const c = layoutConfig(QWEN15);
  const base = { config: c, weightsBytes: 1e9, info: DEFAULT_LIMITS, kvF16: true, chunk: 512 };

  it('counts keys, values, the grouped key copy, RoPE table, scratch, activations, logits, sampler and uniforms', () => {
    const plain = planMemory({ ...base, contextTokens: 4096 });
    const se = planMemory({ ...base, contextTokens: 4096, groupedCopy: true });
    const names = (p: typeof plain) => p.buffers.map((b) => b.name).sort();
    assert.deepEqual(names(plain), ['KV cache: keys', 'KV cache: values', 'RoPE table', 'activations', 'attention scratch', 'logits', 'sampler scratch', 'uniforms', 'weights']);
    assert.ok(names(se).includes('KV cache: grouped keys (SelfExtend)'));
    const copy = 28 * 2 * 128 * 2 * 4096; // layers × KV heads × head dim × f16 × tokens
    const by = (p: typeof plain, n: string) => p.buffers.find((b) => b.name === n)!;
    assert.equal(by(plain, 'KV cache: keys').bytes, copy);
    assert.equal(by(plain, 'KV cache: values').bytes, copy);
    assert.equal(by(se, 'KV cache: grouped keys (SelfExtend)').bytes, copy);
    assert.equal(by(plain, 'RoPE table').bytes, 4096 * 64 * 8);
    assert.equal(by(plain, 'logits').bytes % (151936 * 4), 0);
    assert.equal(se.kvBytes - plain.kvBytes, copy);
    // the totals are the sum of the parts
    for (const p of [plain, se]) assert.equal(p.buffers.reduce((s, b) => s + b.bytes, 0), p.totalBytes);
    // f32 KV doubles the cache
    const f32 = planMemory({ ...base, kvF16: false, contextTokens: 4096 });
    assert.equal(by(f32, 'KV cache: keys').bytes, 2 * copy);
    assert.equal(kvBytesPerToken(c, true, true) - kvBytesPerToken(c, true, false), copy / 4096);
  });

  it('checks the largest single binding against the device limit and bounds the cache by it', () => {
    const smol = layoutConfig({ nLayers: 24, embeddingDim: 2048, nHeads: 32, nKvHeads: 32, headDim: 64, ffnDim: 8192, vocabSize: 49152, contextLength: 8192 });
    const p = planMemory({ config: smol, weightsBytes: 1e9, info: DEFAULT_LIMITS, kvF16: true, chunk: 512, contextTokens: 16384, groupedCopy: true });
    // One key copy of one layer per binding: 16384 × 32 × 64 × 2 B = 64 MiB, within lavapipe's 128 MiB.
    assert.equal(p.largestBinding.name, 'KV cache: keys');
    assert.equal(p.largestBinding.bytes, 64 * MiB);
    assert.equal(p.largestBinding.limit, 128 * MiB);
    assert.equal(p.maxContext, 32768, 'at most 128 MiB / 4 KiB positions per binding');
    assert.throws(() => planMemory({ config: smol, weightsBytes: 1e9, info: DEFAULT_LIMITS, kvF16: true, chunk: 512, maxContext: 40000 }), (e: unknown) => e instanceof OutOfMemoryError && /at most 32768 tokens/.test(e.message));
    // activation chunks shrink to fit a binding
    const tiny = planMemory({ config: smol, weightsBytes: 1e9, info: { limits: { maxStorageBufferBindingSize: 4 * MiB, maxBufferSize: 4 * MiB } as never }, kvF16: true, chunk: 512 });
    assert.ok(tiny.chunk * 8192 * 4 <= 4 * MiB && tiny.chunk >= 1);
  });

  it('q8_0 KV: 68 bytes per 64-value row (53% of f16) for every KV buffer; the binding bound grows to match', () => {
    const f16 = planMemory({ ...base, contextTokens: 4096, groupedCopy: true });
    const q8 = planMemory({ ...base, kvCacheType: 'q8_0', contextTokens: 4096, groupedCopy: true });
    assert.equal(q8.kvCacheType, 'q8_0');
    assert.equal(q8.kvF16, false);
    const by = (p: typeof f16, n: string) => p.buffers.find((b) => b.name === n)!.bytes;
    // Head dim 128: 128 quants + two f16 scales in one word = 136 bytes per row, f16: 256.
    for (const n of ['KV cache: keys', 'KV cache: values', 'KV cache: grouped keys (SelfExtend)']) {
      assert.equal(by(q8, n), 28 * 2 * 136 * 4096);
      assert.equal(by(f16, n) * 136, by(q8, n) * 256);
    }
    assert.equal(kvBytesPerToken(c, 'q8_0', false), 2 * 28 * 2 * 136 + 64 * 8);
    // The legacy boolean still means f16 / f32.
    assert.equal(kvBytesPerToken(c, true, false), kvBytesPerToken(c, 'f16', false));
    const ratio = (q8.kvBytes - by(q8, 'RoPE table')) / (f16.kvBytes - by(f16, 'RoPE table'));
    assert.ok(ratio > 0.5 && ratio < 0.56, `q8_0 / f16 KV ${ratio}`);
    // A 4 GiB budget holds about twice the context with q8_0.
    const reachF16 = largestRequestWithin(c, QWEN15_Q4KM, 4 * GiB);
    const reachQ8 = largestRequestWithin(c, QWEN15_Q4KM, 4 * GiB, { kvCacheType: 'q8_0' });
    assert.ok(reachQ8 > 1.7 * reachF16, `${reachQ8} vs ${reachF16}`);
  });

  it('a load allocates a small initial cache; capacities grow in pages up to the ceiling', () => {
    assert.equal(planMemory(base).contextTokens, INITIAL_KV_TOKENS);
    assert.equal(kvCapacityFor(100, 256, 4096), 256);
    assert.equal(kvCapacityFor(300, 256, 4096), 512);
    assert.equal(kvCapacityFor(5000, 256, 4096), 4096);
  });

  it('a budget bounds the ceiling, and the out-of-memory message names what fits', () => {
    const budget = planRequest(c, 1e9, 3000).totalBytes;
    const p = planMemory({ ...base, budget });
    assert.ok(p.maxContext >= 3000 && p.maxContext < 3300, `maxContext ${p.maxContext}`);
    const over = planMemory({ ...base, contextTokens: 5000 });
    const msg = outOfMemoryMessage(over, budget, c);
    const fits = Number(/at most (\d+) tokens fits/.exec(msg)?.[1]);
    assert.ok(fits >= 3000 && fits < 3300, msg);
    assert.ok(planMemory({ ...base, contextTokens: fits }).totalBytes <= budget, 'following the advice fits');
    assert.match(msg, /weights .*shrink: a smaller model/);
  });
});

describe('memory plan: goals for real layouts (issue 12)', () => {
  it('Qwen2.5-Coder-1.5B Q4_K_M: an 8K-token request plans <= 2.0 GiB', () => {
    const p = planRequest(layoutConfig(QWEN15), QWEN15_Q4KM, 8192);
    assert.ok(p.totalBytes <= 2.0 * GiB, formatSize(p.totalBytes));
  });

  it('Llama-3.2-3B Q4_K_M: an 8K-token request plans <= 3.2 GiB; a short question <= 512 MiB beyond the weights', () => {
    const c = layoutConfig(LLAMA3B);
    const p = planRequest(c, LLAMA3B_Q4KM, 8192);
    assert.ok(p.totalBytes <= 3.2 * GiB, formatSize(p.totalBytes));
    // A few-token prompt plus the default answer budget (maxNewTokens) is what the cache is sized for.
    const short = planRequest(c, LLAMA3B_Q4KM, 16 + DEFAULT_SETTINGS.maxNewTokens);
    assert.ok(short.totalBytes - LLAMA3B_Q4KM <= 512 * MiB, formatSize(short.totalBytes - LLAMA3B_Q4KM));
  });

  for (const m of MODEL_CATALOG) {
    it(`catalog ${m.id}: the GPU memory its entry states covers the plan at the default target`, () => {
      const c = layoutConfig({ ...m.layout, contextLength: m.contextLength });
      // Weights on the GPU are the file's tensors (repacked to the same size): the file size bounds them.
      const p = planRequest(c, m.sizeBytes, CATALOG_TARGET_CONTEXT);
      assert.ok(p.totalBytes <= m.gpuBytesAtDefaultTarget, `planned ${formatSize(p.totalBytes)} > stated ${formatSize(m.gpuBytesAtDefaultTarget)}`);
      assert.ok(m.gpuBytesAtDefaultTarget - p.totalBytes < 0.1 * GiB, 'the stated figure is close to the plan');
      assert.ok(m.detail.includes(`${formatSize(m.gpuBytesAtDefaultTarget)} of GPU memory at a 16K-token context`), m.detail);
      if (p.totalBytes > 4 * GiB) {
        const reach = largestRequestWithin(c, m.sizeBytes, 4 * GiB);
        assert.ok(m.targetOn4GiB !== undefined && m.targetOn4GiB <= reach && m.targetOn4GiB > 0.95 * reach, `4 GiB reaches ${reach}, entry says ${m.targetOn4GiB}`);
        assert.ok(m.detail.includes(`4 GB GPU reaches about ${m.targetOn4GiB.toLocaleString('en-US')} tokens`), m.detail);
      } else {
        assert.equal(m.targetOn4GiB, undefined);
      }
    });
  }
});

describe('memory plan: SmolLM2-1.7B layout on lavapipe (32 KV heads × 64, 8K trained)', function () {
  this.timeout(300_000);
  const file = path.join(process.cwd(), 'tmp', 'memory-plan-test', 'smollm2-layout.gguf');

  it('loads and answers with default settings under the 128 MiB binding limit, and plans its 16K target', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // The real heads, KV heads, head dim and trained window; widths and layer count shrunk (the KV
    // binding per layer does not depend on them).
    await writeSyntheticModel(file, { architecture: 'llama', type: GGMLType.Q8_0, seed: 3, dim: 256, nHeads: 32, nKvHeads: 32, headDim: 64, nLayers: 2, ffnDim: 256, vocabSize: 320, contextLength: 8192 });
    const m = await Engine.load(file);
    try {
      assert.ok(m.maxContext >= CATALOG_TARGET_CONTEXT, `maxContext ${m.maxContext}`);
      const se = chooseSelfExtend({ trainedContext: 8192, targetContext: CATALOG_TARGET_CONTEXT });
      const ids: number[] = [];
      for await (const ch of m.generate([1, 50, 60, 70], { greedy: true, maxTokens: 3, selfExtend: se })) ids.push(...ch.ids);
      assert.equal(ids.length, 3);
      const plan = planRequest(m.config, 0, CATALOG_TARGET_CONTEXT, { info: { limits: m.device.limits } });
      assert.ok(plan.largestBinding.bytes <= m.device.limits.maxStorageBufferBindingSize, `${plan.largestBinding.name} ${plan.largestBinding.bytes}`);
    } finally {
      m.dispose();
    }
  });
});

describe('auto target (issue 12 point 7): repository, memory, reach and time caps', () => {
  const c = layoutConfig(QWEN15);
  const base = { config: c, weightsBytes: QWEN15_Q4KM, questionTokens: 200, answerTokens: 1024, maxPrefillSeconds: 30 };

  it('packs a ~100K-token repository whole with G >= 2 on 8 GiB when the time cap allows it', () => {
    const a = planAutoTarget({ ...base, repositoryTokens: 100_000, memoryBytes: 8 * GiB, prefillTokensPerSecond: 5000 });
    assert.equal(a.cap, 'repository');
    assert.equal(a.window, 101_224);
    assert.ok(a.groupSize >= 2, a.description);
    assert.ok(planRequest(c, QWEN15_Q4KM, a.window).totalBytes <= 8 * GiB);
  });

  it('names the cap that applied: memory, time, reach', () => {
    const mem = planAutoTarget({ ...base, repositoryTokens: 1_000_000, memoryBytes: 4 * GiB, prefillTokensPerSecond: 1e6 });
    assert.equal(mem.cap, 'memory');
    assert.ok(planRequest(c, QWEN15_Q4KM, mem.window).totalBytes <= 4 * GiB);
    assert.ok(planRequest(c, QWEN15_Q4KM, mem.window + 1).totalBytes > 4 * GiB);
    assert.match(mem.description, /capped by GPU memory.*SelfExtend G=\d+/);
    const time = planAutoTarget({ ...base, repositoryTokens: 100_000, memoryBytes: 16 * GiB, prefillTokensPerSecond: 1000 });
    assert.equal(time.cap, 'time');
    assert.equal(time.window, 30_000 + 1024);
    const tiny = layoutConfig({ ...QWEN15, contextLength: 512 });
    const reach = planAutoTarget({ ...base, config: tiny, repositoryTokens: 1_000_000, memoryBytes: 16 * GiB });
    assert.equal(reach.cap, 'reach');
    const small = planAutoTarget({ ...base, repositoryTokens: 5000, memoryBytes: 4 * GiB });
    assert.equal(small.cap, 'repository');
    assert.equal(small.groupSize, 1, 'a repository within the trained window needs no SelfExtend');
  });

  it('decision table: 4/8/16 GiB × 10K/100K/1M-token repositories (Qwen2.5-Coder-1.5B, 32K trained)', function () {
    const rows: string[] = [];
    for (const tps of [5000, 1000]) {
      for (const gib of [4, 8, 16]) {
        for (const repo of [10_000, 100_000, 1_000_000]) {
          const a = planAutoTarget({ ...base, repositoryTokens: repo, memoryBytes: gib * GiB, prefillTokensPerSecond: tps });
          rows.push(`${tps} tok/s, ${gib} GiB, ${repo}: ${a.window} (${a.cap}) G=${a.groupSize}`);
          assert.ok(a.window <= Math.min(a.bounds.memory, a.bounds.repository, a.bounds.reach, a.bounds.time));
        }
      }
    }
    if (this.test) this.test.title += `\n        ${rows.join('\n        ')}`;
  });
});
