// Chunked prefill / decode equivalence, exact reduction to plain attention, prefix reuse across G
// changes, and the module's validation errors.
import * as assert from 'node:assert/strict';
import { openDevice, type GpuContext } from '../../gpu/device/gpu-device';
import { createAttention } from '../../gpu/attention/index';
import { referenceAttention } from '../../gpu/attention/reference';
import { maxAbsDiff, randomProblem, rope, runGpu } from './harness';

describe('attention: chunking, exactness, reuse, validation', function () {
  let ctx: GpuContext;
  before(async () => {
    ctx = await openDevice();
  });
  after(() => ctx?.device.destroy());

  for (const f16 of [false, true]) {
    it(`one-shot prefill = chunks of 1, 7, 64, 512 = prefill + token-by-token decode (${f16 ? 'f16' : 'f32'} KV)`, async function () {
      if (f16 && !ctx.info.features.shaderF16) this.skip();
      const T = 600;
      const p = randomProblem(11, 4, 2, 16, T, rope('adjacent', 16));
      const se = { groupSize: 4, neighborWindow: 32 };
      const run = async (chunks: number[]): Promise<Float32Array> => {
        const { out, module } = await runGpu(ctx, p, { kvF16: f16, se, chunks });
        module.dispose();
        return out;
      };
      const oneShot = await run([T]);
      const ref = referenceAttention({ ...p, nQ: T, startPos: 0, se });
      assert.ok(maxAbsDiff(oneShot, ref) <= (f16 ? 2e-2 : 1e-4));
      // Decode steps use split-KV (flash-decoding) past 512 keys, so their sums are ordered differently.
      const tol = f16 ? 1e-3 : 1e-5;
      let worst = 0;
      for (const chunks of [[1], [7], [64], [512], [300, 1]]) {
        const d = maxAbsDiff(await run(chunks), oneShot);
        worst = Math.max(worst, d);
        assert.ok(d <= tol, `chunks ${chunks.join('+')}: max abs diff ${d} from one-shot`);
      }
      if (this.test) this.test.title += ` [worst diff from one-shot ${worst.toExponential(1)}]`;
    });
  }

  const exactModes = [
    { lean: false, kv: 'f32' },
    { lean: true, kv: 'f32' },
    { lean: false, kv: 'f16' },
    { lean: true, kv: 'f16' },
    { lean: false, kv: 'q8_0' },
    { lean: true, kv: 'q8_0' },
  ] as const;
  for (const { lean, kv } of exactModes) it(`G = 1 and sequences shorter than W reproduce plain attention bit for bit (${kv} KV${lean ? ', memory-lean SelfExtend' : ''})`, async function () {
    if (kv === 'f16' && !ctx.info.features.shaderF16) this.skip();
    const p = randomProblem(12, 8, 2, 64, 90, rope('neox', 64));
    const outOf = async (G: number, W: number, chunks: number[]): Promise<Float32Array> => {
      const { out, module } = await runGpu(ctx, p, { kvF16: false, kvCacheType: kv, se: { groupSize: G, neighborWindow: W }, chunks, leanKeys: lean });
      module.dispose();
      return out;
    };
    const plain = await outOf(1, 0, [90]);
    assert.deepEqual(await outOf(1, 64, [90]), plain);
    assert.deepEqual(await outOf(4, 96, [90]), plain); // T = 90 < W = 96: every key is a neighbour
    assert.deepEqual(await outOf(16, 96, [7]), plain);
    // ...while a window the sequence exceeds does change the result.
    assert.ok(maxAbsDiff(await outOf(4, 32, [90]), plain) > 1e-3);
  });

  it('reuses a cached prefix across a change of G (grouped keys re-derived) and after plain requests', async () => {
    const T = 160;
    const p = randomProblem(13, 4, 2, 16, T, rope('adjacent', 16));
    const shape = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, rope: p.rope, capacity: T, trainedContext: 64 };
    const m = createAttention(ctx, shape, { kvF16: false });
    try {
      await runGpu(ctx, { ...p, T: 100 }, { kvF16: false, se: { groupSize: 4, neighborWindow: 16 }, chunks: [50], module: m, layers: 2 });
      const se8 = { groupSize: 8, neighborWindow: 16 };
      assert.equal(m.canReuse(100, se8), true);
      assert.equal(m.canReuse(101, se8), false);
      const { out } = await runGpu(ctx, p, { kvF16: false, se: se8, chunks: [30, 1], module: m, startAt: 100, layers: 2 });
      const ref = referenceAttention({ ...p, q: p.q.subarray(100 * 4 * 16), nQ: T - 100, startPos: 100, se: se8 });
      assert.ok(maxAbsDiff(out, ref) <= 1e-4, `after G 4 -> 8: ${maxAbsDiff(out, ref)}`);

      // Plain over the first 120 positions (grouped copy not written), then SelfExtend again from 120.
      const m2 = createAttention(ctx, shape, { kvF16: false });
      try {
        await runGpu(ctx, { ...p, T: 120 }, { kvF16: false, se: { groupSize: 1, neighborWindow: 0 }, chunks: [64], module: m2, layers: 2 });
        const se2 = { groupSize: 2, neighborWindow: 8 };
        const r2 = await runGpu(ctx, p, { kvF16: false, se: se2, chunks: [40], module: m2, startAt: 120, layers: 2 });
        const ref2 = referenceAttention({ ...p, q: p.q.subarray(120 * 4 * 16), nQ: T - 120, startPos: 120, se: se2 });
        assert.ok(maxAbsDiff(r2.out, ref2) <= 1e-4, `plain prefix then SelfExtend: ${maxAbsDiff(r2.out, ref2)}`);
      } finally {
        m2.dispose();
      }
    } finally {
      m.dispose();
    }
  });

  it('q8_0: a change of G re-derives the grouped keys from the quantized neighbour copy (regroup-q8) and a grown cache keeps its rows', async function () {
    const T = 163;
    const p = randomProblem(15, 4, 2, 32, T, rope('neox', 32));
    const shape = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 32, rope: p.rope, capacity: 64, trainedContext: 64 };
    const m = createAttention(ctx, shape, { kvCacheType: 'q8_0' });
    try {
      await runGpu(ctx, { ...p, T: 60 }, { kvF16: false, se: { groupSize: 4, neighborWindow: 16 }, chunks: [60], module: m, layers: 2 });
      assert.equal(await m.reserve(T, true), true);
      const se8 = { groupSize: 8, neighborWindow: 16 };
      assert.equal(m.canReuse(60, se8), true);
      const { out } = await runGpu(ctx, p, { kvF16: false, se: se8, chunks: [37, 1], module: m, startAt: 60, layers: 2 });
      const args = { ...p, q: p.q.subarray(60 * 4 * 32), nQ: T - 60, startPos: 60, se: se8 };
      const d = maxAbsDiff(out, referenceAttention({ ...args, kvQuant: 'q8_0' }));
      const exact = maxAbsDiff(out, referenceAttention(args));
      if (this.test) this.test.title += ` [vs q8_0 reference ${d.toExponential(1)}, vs exact f64 ${exact.toExponential(1)}]`;
      // Re-derived keys are rounded twice (stored at j, re-quantized at ⌊j/G⌋): within the q8_0 tolerance.
      assert.ok(d <= 2e-3, `after G 4 -> 8: ${d}`);
    } finally {
      m.dispose();
    }
  });

  it('reserve grows (copying the cached prefix) and shrinks the cache: same outputs as a cache sized up front', async () => {
    const T = 200;
    const p = randomProblem(14, 4, 2, 16, T, rope('neox', 16));
    const se = { groupSize: 4, neighborWindow: 32 };
    const shape = { nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, rope: p.rope, capacity: T };
    const upFront = (await runGpu(ctx, p, { kvF16: false, se, chunks: [60, 40, 1], layers: 2 })).out;
    const m = createAttention(ctx, { ...shape, capacity: 64 }, { kvF16: false });
    try {
      assert.equal(m.hasGroupedCopy, false);
      await runGpu(ctx, { ...p, T: 60 }, { kvF16: false, se, chunks: [60], module: m, layers: 2 });
      assert.equal(await m.reserve(100, true), true);
      assert.equal(m.capacity, 100);
      assert.equal(m.canReuse(60, se), true);
      await runGpu(ctx, { ...p, T: 100 }, { kvF16: false, se, chunks: [40], module: m, startAt: 60, layers: 2 });
      const before = m.memoryBytes;
      assert.equal(await m.reserve(T, true), true);
      assert.ok(m.memoryBytes > before);
      const grown = await runGpu(ctx, p, { kvF16: false, se, chunks: [1], module: m, startAt: 100, layers: 2 });
      // Same kernels, same split plans, same cached keys: bit-identical to the cache sized up front.
      assert.deepEqual(grown.out, upFront.subarray(100 * 4 * 16));
      // Shrinking keeps what still fits (and drops the grouped copy); the rest is recomputed.
      assert.equal(await m.reserve(50, false), true);
      assert.equal(m.hasGroupedCopy, false);
      assert.equal(m.canReuse(50, se), true);
      assert.equal(m.canReuse(51, se), false);
      assert.throws(() => m.beginBatch(50, 1, se), /exceed the KV-cache capacity of 50 tokens \(reserve\(\) grows it\)/);
      assert.equal(await m.reserve(T, false), true);
      const again = await runGpu(ctx, p, { kvF16: false, se, chunks: [150], module: m, startAt: 50, layers: 2 });
      const ref = referenceAttention({ ...p, q: p.q.subarray(50 * 4 * 16), nQ: T - 50, startPos: 50, se });
      assert.ok(maxAbsDiff(again.out, ref) <= 1e-4, `after shrink and regrow: ${maxAbsDiff(again.out, ref)}`);
    } finally {
      m.dispose();
    }
  });

  it('rejects invalid G/W, batches past the capacity and gaps with clear errors', () => {
    const m = createAttention(ctx, { nLayers: 1, nHeads: 4, nKvHeads: 2, headDim: 16, rope: rope('adjacent', 16), capacity: 256, trainedContext: 128 }, { kvF16: false });
    try {
      assert.throws(() => m.beginBatch(0, 10, { groupSize: 16, neighborWindow: 30 }), /W = 30 must be a multiple of group size G = 16/);
      assert.throws(() => m.beginBatch(0, 10, { groupSize: 4, neighborWindow: 128 }), /smaller than the model's trained context L = 128/);
      assert.throws(() => m.beginBatch(250, 10, { groupSize: 1, neighborWindow: 0 }), /exceed the KV-cache capacity of 256/);
      assert.throws(() => m.beginBatch(5, 1, { groupSize: 1, neighborWindow: 0 }), /only 0 positions are cached/);
      assert.equal(m.canReuse(1, { groupSize: 16, neighborWindow: 30 }), false);
    } finally {
      m.dispose();
    }
    assert.throws(
      () => createAttention(ctx, { nLayers: 1, nHeads: 6, nKvHeads: 4, headDim: 16, rope: rope('adjacent', 16), capacity: 8 }, { kvF16: false }),
      /6 heads are not a multiple of 4 KV heads/,
    );
  });
});
