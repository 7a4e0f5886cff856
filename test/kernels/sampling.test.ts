import * as assert from 'node:assert/strict';
import { openDevice, type GpuContext } from '../../gpu/device/gpu-device';
import { storageFrom } from '../../gpu/kernels/common';
import { GpuSampler, NonFiniteLogitsError, resolveSampling, type SamplingParams } from '../../gpu/sampling/gpu-sampler';
import { applyPenaltyRef, argmaxRef, sampleRef, seedToUniform } from '../../gpu/sampling/reference';
import { rng } from '../helpers/engine-random';

describe('GPU sampling vs CPU reference', () => {
  let ctx: GpuContext;
  before(async () => {
    ctx = await openDevice();
  });
  after(() => ctx?.device.destroy());

  function logitsBuf(x: Float32Array, pad = 0): GPUBuffer {
    const all = new Float32Array(pad + x.length);
    all.set(x, pad);
    return storageFrom(ctx.device, all);
  }

  for (const V of [1, 7, 4096, 4097, 151936]) {
    it(`greedy argmax is exact, V=${V}, with ties going to the lowest id`, async () => {
      const r = rng(V);
      const x = Float32Array.from({ length: V }, () => Math.round((r() * 20 - 10) * 4) / 4); // many ties
      const s = new GpuSampler(ctx.device, V);
      const b = logitsBuf(x, 3);
      const got = await s.sample(b, 3, resolveSampling({ greedy: true }), [], 1);
      assert.equal(got, argmaxRef(x));
      s.destroy();
      b.destroy();
    });
  }

  it('greedy with repetition penalty (positive divided, negative multiplied, duplicates once)', async () => {
    const x = new Float32Array([3.0, 2.9, -0.1, 2.0, -5]);
    const s = new GpuSampler(ctx.device, x.length);
    const b = logitsBuf(x);
    const params = resolveSampling({ greedy: true, repeatPenalty: 1.5 });
    // 0 is penalised to 2.0, 1 is not: 1 wins
    assert.equal(await s.sample(b, 0, params, [0, 0, 0, 4], 1), 1);
    const ref = applyPenaltyRef(x, [0, 0, 0, 4], 1.5);
    assert.deepEqual(Array.from(ref), [2, 2.9, -0.1, 2, -7.5].map(Math.fround));
    // a window that excludes id 0 leaves it winning
    assert.equal(await s.sample(b, 0, { ...params, repeatLastN: 1 }, [0, 4], 1), 0);
    s.destroy();
  });

  async function checkAgainstRef(V: number, params: SamplingParams, seeds: number, recent: number[] = []): Promise<Map<number, number>> {
    const r = rng(V * 3 + params.topK);
    const x = Float32Array.from({ length: V }, () => r() * 8 - 4);
    const s = new GpuSampler(ctx.device, V);
    const b = logitsBuf(x);
    const counts = new Map<number, number>();
    let compared = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const got = await s.sample(b, 0, params, recent, seed * 7919 + 13);
      const u = seedToUniform(seed * 7919 + 13);
      const ref = sampleRef(x, params, recent, u);
      assert.ok(ref.kept.includes(got), `seed ${seed}: ${got} is outside the kept set`);
      counts.set(got, (counts.get(got) ?? 0) + 1);
      // same draw unless u falls within float rounding of a boundary between two tokens
      let c = 0;
      const near = ref.probs.some((p) => ((c += p), Math.abs(c - u) < 1e-4));
      if (!near) {
        assert.equal(got, ref.pick, `seed ${seed}: GPU drew ${got}, reference ${ref.pick}`);
        compared++;
      }
    }
    assert.ok(compared > seeds * 0.9);
    s.destroy();
    b.destroy();
    return counts;
  }

  it('temperature + top-k + top-p draws the same token as the reference for the same seed (V=503)', async () => {
    await checkAgainstRef(503, resolveSampling({ temperature: 0.7, topK: 40, topP: 0.9 }), 60);
  });
  it('top-p alone and repetition penalty, V=1000', async () => {
    await checkAgainstRef(1000, resolveSampling({ temperature: 1, topK: 0, topP: 0.5, repeatPenalty: 1.3 }), 40, [1, 5, 9, 5]);
  });
  it('large vocabulary (151,936) with top-k 40, top-p 0.95', async () => {
    await checkAgainstRef(151936, resolveSampling({ temperature: 0.8, topK: 40, topP: 0.95 }), 4);
  });

  it('top-k mask: only the k best ids are ever drawn, and all of them are', async () => {
    const V = 300;
    const params = resolveSampling({ temperature: 5, topK: 4, topP: 1 });
    const counts = await checkAgainstRef(V, params, 120);
    assert.equal(counts.size, 4);
  });

  it('distribution sanity: frequencies match softmax(x / T) with a fixed seed sequence', async () => {
    const x = new Float32Array([0, 1, 2, 0.5, -1, 1.5]);
    const T = 1.3;
    const s = new GpuSampler(ctx.device, x.length);
    const b = logitsBuf(x);
    const params = resolveSampling({ temperature: T, topK: 0, topP: 1 });
    const n = 600;
    const counts = new Array<number>(x.length).fill(0);
    for (let i = 0; i < n; i++) counts[await s.sample(b, 0, params, [], 1000 + i)]++;
    const w = Array.from(x, (v) => Math.exp(v / T));
    const z = w.reduce((a, c) => a + c, 0);
    let chi2 = 0;
    for (let i = 0; i < x.length; i++) chi2 += (counts[i] - (n * w[i]) / z) ** 2 / ((n * w[i]) / z);
    // 5 degrees of freedom: P(chi2 > 20.5) ~ 0.001
    assert.ok(chi2 < 20.5, `chi2 ${chi2.toFixed(2)}; counts ${counts.join(',')}`);
    s.destroy();
  });

  // Issue 13, finding 2: the settings allow topP = 0, which used to fail every request.
  it('topP = 0 keeps only the top token (greedy, ties to the lowest id) instead of failing', async () => {
    const params = resolveSampling({ temperature: 1, topK: 40, topP: 0 });
    assert.equal(params.greedy, true);
    assert.throws(() => resolveSampling({ topP: -0.1 }), /topP must be in \[0, 1\]/);
    assert.throws(() => resolveSampling({ topP: 1.5 }), /topP must be in \[0, 1\]/);
    const x = new Float32Array([0.5, 3, -1, 3, 2]);
    const s = new GpuSampler(ctx.device, x.length);
    const b = logitsBuf(x);
    for (const seed of [1, 2, 3]) assert.equal(await s.sample(b, 0, params, [], seed), 1);
    s.destroy();
    b.destroy();
  });

  // Issue 13, finding 10: NaN or infinite logits (broken weights) must fail the request, not sample garbage.
  for (const [what, bad] of [['NaN', NaN], ['+infinity', Infinity], ['-infinity', -Infinity]] as const) {
    for (const greedy of [true, false]) {
      it(`${what} among 4,100 logits fails the ${greedy ? 'greedy' : 'stochastic'} draw with NonFiniteLogitsError`, async () => {
        const V = 4100; // two argmax partials; the bad value sits in the second
        const x = Float32Array.from({ length: V }, (_, i) => Math.sin(i));
        x[4099] = bad;
        const s = new GpuSampler(ctx.device, V);
        const b = logitsBuf(x);
        const params = resolveSampling(greedy ? { greedy: true } : { temperature: 0.8, topK: 40, topP: 0.95 });
        await assert.rejects(s.sample(b, 0, params, [], 7), (e: unknown) => e instanceof NonFiniteLogitsError && /non-finite logits/.test(e.message));
        // the same sampler works again on finite logits
        x[4099] = 0;
        const ok = logitsBuf(x);
        const got = await s.sample(ok, 0, resolveSampling({ greedy: true }), [], 7);
        assert.equal(got, argmaxRef(x));
        s.destroy();
        b.destroy();
        ok.destroy();
      });
    }
  }
});
