// GPU linear kernels vs the CPU reference (ggml dequantization + f64 dot) for every weight type.
import * as assert from 'node:assert/strict';
import { openDevice, type DeviceOptions, type GpuContext } from '../../../gpu/device/gpu-device';
import { GGMLType } from '../../../gpu/gguf/types';
import { LinearKernels, uploadWeightBytes, linearRef, embeddingRef, type GpuWeight, type LinearOptions, type LinearKernelsOptions } from '../../../gpu/kernels/linear';
import { ALL_TYPES, randomWeight, randn, storageBuffer, readF32, assertClose } from './helpers';

interface Case {
  nIn: number;
  nOut: number;
  nTokens: number;
  opts?: LinearOptions;
  /** Fused epilogue: a random bias (nOut values) or a random SwiGLU gate laid out like y. */
  epilogue?: 'bias' | 'swiglu';
}

async function runLinear(ctx: GpuContext, lk: LinearKernels, w: GpuWeight, bytes: Uint8Array, c: Case, seed: number): Promise<void> {
  const { nIn, nOut, nTokens } = c;
  const o = c.opts ?? {};
  const xOff = o.xOffset ?? 0;
  const xStride = o.xStride ?? nIn;
  const yOff = o.yOffset ?? 0;
  const yStride = o.yStride ?? nOut;
  const xAll = randn(xOff + nTokens * xStride, seed);
  const yInit = o.add ? randn(yOff + nTokens * yStride, seed + 1) : new Float32Array(yOff + nTokens * yStride).fill(NaN);
  const xb = storageBuffer(ctx, xAll);
  const yb = storageBuffer(ctx, yInit);
  const epi = c.epilogue === 'bias' ? randn(nOut, seed + 2) : c.epilogue === 'swiglu' ? randn(yInit.length, seed + 3) : null;
  const eb = epi ? storageBuffer(ctx, epi) : null;
  const enc = ctx.device.createCommandEncoder();
  lk.encodeMatVec(enc, w, xb, yb, nTokens, { ...o, ...(eb && c.epilogue === 'bias' ? { bias: eb } : {}), ...(eb && c.epilogue === 'swiglu' ? { swigluGate: eb } : {}) });
  ctx.device.queue.submit([enc.finish()]);
  const y = await readF32(ctx, yb, yInit.length);
  xb.destroy();
  yb.destroy();
  eb?.destroy();
  // Reference on the packed x, then place it at the strided y positions.
  const x = new Float32Array(nTokens * nIn);
  for (let t = 0; t < nTokens; t++) x.set(xAll.subarray(xOff + t * xStride, xOff + t * xStride + nIn), t * nIn);
  const ref = linearRef(w.type, bytes, nIn, nOut, x, nTokens);
  const want = new Float64Array(yInit.length).fill(NaN);
  const mag = new Float64Array(yInit.length).fill(1);
  for (let t = 0; t < nTokens; t++) {
    for (let r = 0; r < nOut; r++) {
      const i = yOff + t * yStride + r;
      let v = ref.y[t * nOut + r];
      let m = ref.mag[t * nOut + r];
      if (c.epilogue === 'bias') {
        v += epi![r];
        m += Math.abs(epi![r]);
      } else if (c.epilogue === 'swiglu') {
        const silu = epi![i] / (1 + Math.exp(-epi![i]));
        v *= silu;
        m = m * Math.abs(silu) + Math.abs(v);
      }
      want[i] = v + (o.add ? yInit[i] : 0);
      mag[i] = m + (o.add ? Math.abs(yInit[i]) : 0);
    }
  }
  // Positions outside the outputs must be untouched (NaN stays NaN, or the initial values when adding).
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) {
      if (o.add) assert.equal(y[i], yInit[i], `y[${i}] outside the outputs was modified`);
      else assert.ok(Number.isNaN(y[i]), `y[${i}] outside the outputs was written`);
      want[i] = 0;
      y[i] = 0;
    }
  }
  assertClose(y, want, mag, `${GGMLType[w.type]} ${nOut}×${nIn} nTokens=${nTokens}${o.add ? ' add' : ''}${c.epilogue ? ` ${c.epilogue} epilogue` : ''}`);
}

async function runEmbedding(ctx: GpuContext, lk: LinearKernels, w: GpuWeight, bytes: Uint8Array, ids: number[]): Promise<void> {
  const idb = storageBuffer(ctx, new Uint32Array(ids));
  const out = storageBuffer(ctx, new Float32Array(ids.length * w.nIn).fill(NaN));
  const enc = ctx.device.createCommandEncoder();
  lk.encodeEmbedding(enc, w, idb, out, ids.length);
  ctx.device.queue.submit([enc.finish()]);
  const got = await readF32(ctx, out, ids.length * w.nIn);
  idb.destroy();
  out.destroy();
  const want = embeddingRef(w.type, bytes, w.nIn, w.nOut, ids);
  for (let i = 0; i < want.length; i++) {
    // Dequantization is exact except where the GPU fuses d*q + m into one FMA (Q4_1/Q5_1/K-quants): 1 ulp-ish.
    const tol = 2e-7 * Math.max(1, Math.abs(want[i]));
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${GGMLType[w.type]} embedding value ${i} (token ${Math.floor(i / w.nIn)}): ${got[i]} vs ${want[i]}`);
  }
}

// The fallback configuration also uses 3 rows per mat-vec workgroup (1 row for 3 tokens): odd and single-row variants.
const CONFIGS: Array<{ name: string; device: DeviceOptions; kernels: LinearKernelsOptions }> = [
  { name: 'default features', device: {}, kernels: {} },
  { name: 'without shader-f16 and subgroups, 3 rows per mat-vec workgroup', device: { disableFeatures: ['shader-f16', 'subgroups'] }, kernels: { matvecRows: 3 } },
];

for (const cfg of CONFIGS) {
  describe(`linear kernels (${cfg.name})`, function () {
    let ctx: GpuContext;
    let lk: LinearKernels;
    before(async () => {
      ctx = await openDevice(cfg.device);
      lk = new LinearKernels(ctx, cfg.kernels);
    });
    after(() => ctx?.device.destroy());

    it('uses subgroup reductions exactly when the device has subgroups', () => {
      assert.equal(lk.useSubgroups, ctx.info.features.subgroups && !cfg.device.disableFeatures?.includes('subgroups'));
    });

    it('every kernel variant compiles for every type', async () => {
      for (const type of ALL_TYPES) {
        for (const [kind, nt] of [['matvec', 1], ['matvec', 4], ['matmul', 0], ['embedding', 0]] as const) {
          const m = ctx.device.createShaderModule({ code: lk.shaderSource(kind, type, nt) });
          const errors = (await m.getCompilationInfo()).messages.filter((x) => x.type === 'error');
          assert.deepEqual(errors.map((e) => `${e.lineNum}: ${e.message}`), [], `${GGMLType[type]} ${kind}`);
        }
      }
    });

    for (const type of ALL_TYPES) {
      describe(GGMLType[type], () => {
        const nIn = 256;
        let big: { bytes: Uint8Array; w: GpuWeight };
        let one: { bytes: Uint8Array; w: GpuWeight };
        before(async () => {
          const b = randomWeight(type, nIn, 257, type * 7 + 1);
          big = { bytes: b, w: await uploadWeightBytes(ctx, { name: 'w257', type, dims: [nIn, 257] }, b) };
          const o = randomWeight(type, nIn, 1, type * 7 + 2);
          one = { bytes: o, w: await uploadWeightBytes(ctx, { name: 'w1', type, dims: [nIn, 1] }, o) };
        });
        after(() => {
          big?.w.destroy();
          one?.w.destroy();
        });

        it('mat-vec: nTokens 1 and 3, 257 rows (prime, not a multiple of the rows per workgroup), and a single row', async () => {
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 1 }, 11);
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 3 }, 12);
          await runLinear(ctx, lk, one.w, one.bytes, { nIn, nOut: 1, nTokens: 1 }, 13);
        });

        it('mat-mul: nTokens 17 and 70 (partial token and row tiles), and a single row', async () => {
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 17 }, 21);
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 70 }, 22);
          await runLinear(ctx, lk, one.w, one.bytes, { nIn, nOut: 1, nTokens: 70 }, 23);
        });

        it('accumulates into y with offsets and strides (residual fusion)', async () => {
          const opts: LinearOptions = { add: true, xOffset: 8, xStride: nIn + 12, yOffset: 3, yStride: 257 + 5 };
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 3, opts }, 31);
          await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 37, opts }, 32);
        });

        it('fused epilogues: bias add and SwiGLU (mat-vec 1 and 3 tokens, mat-mul 37, a single row, with offsets and add)', async () => {
          for (const epilogue of ['bias', 'swiglu'] as const) {
            await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 1, epilogue }, 41);
            await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 3, epilogue, opts: { yOffset: 3, yStride: 262 } }, 42);
            await runLinear(ctx, lk, big.w, big.bytes, { nIn, nOut: 257, nTokens: 37, epilogue, opts: { add: true } }, 43);
            await runLinear(ctx, lk, one.w, one.bytes, { nIn, nOut: 1, nTokens: 1, epilogue }, 44);
          }
        });

        it('embedding gathers dequantized rows, including repeats and the last row', async () => {
          await runEmbedding(ctx, lk, big.w, big.bytes, [0, 256, 5, 5, 128, 1, 200]);
        });
      });
    }
  });
}
