// Weights split across several GPU buffers (binding limit) and dispatches folded into 2-D grids.
import * as assert from 'node:assert/strict';
import { openDevice, type GpuContext } from '../../../gpu/device/gpu-device';
import { GGMLType } from '../../../gpu/gguf/types';
import { LinearKernels, uploadWeightBytes, linearRef, embeddingRef } from '../../../gpu/kernels/linear';
import { randomWeight, randn, storageBuffer, readF32, assertClose } from './helpers';

describe('linear kernels: split weights and 2-D dispatch', function () {
  let ctx: GpuContext;
  before(async () => {
    ctx = await openDevice();
  });
  after(() => ctx?.device.destroy());

  for (const type of [GGMLType.Q8_0, GGMLType.Q4_K, GGMLType.F16, GGMLType.Q6_K]) {
    it(`${GGMLType[type]}: 300 rows in chunks of 64 rows, with at most 6 workgroups per dimension`, async () => {
      const nIn = 256;
      const nOut = 300;
      const bytes = randomWeight(type, nIn, nOut, 40 + type);
      const rowBytes = bytes.length / nOut;
      // A binding limit of ~70 rows: chunks of 64 rows (the mat-mul tile), so 5 buffers with a 44-row tail.
      const w = await uploadWeightBytes(ctx, { name: 'split', type, dims: [nIn, nOut] }, bytes, { maxBindingSize: Math.floor(rowBytes * 70) + 64 });
      assert.deepEqual(w.chunks.map((c) => c.rows), [64, 64, 64, 64, 44]);
      assert.deepEqual(w.chunks.map((c) => c.rowStart), [0, 64, 128, 192, 256]);
      for (const c of w.chunks) assert.ok(c.buffer.size <= rowBytes * 70 + 64);
      // 6 per dimension: mat-vec over 64 rows needs 32 workgroups -> a 6 × 6 grid; mat-mul 2 × 2 tiles per chunk.
      const lk = new LinearKernels(ctx, { maxWorkgroupsPerDimension: 6 });
      for (const nTokens of [1, 3, 40]) {
        const x = randn(nTokens * nIn, nTokens);
        const xb = storageBuffer(ctx, x);
        const yb = storageBuffer(ctx, new Float32Array(nTokens * nOut).fill(NaN));
        const enc = ctx.device.createCommandEncoder();
        lk.encodeMatVec(enc, w, xb, yb, nTokens);
        ctx.device.queue.submit([enc.finish()]);
        const y = await readF32(ctx, yb, nTokens * nOut);
        const ref = linearRef(type, bytes, nIn, nOut, x, nTokens);
        assertClose(y, ref.y, ref.mag, `${GGMLType[type]} split nTokens=${nTokens}`);
        xb.destroy();
        yb.destroy();
      }
      // Embedding: ids spread over every chunk, more tokens than one grid dimension.
      const ids = [299, 0, 63, 64, 150, 255, 256, 7, 299];
      const idb = storageBuffer(ctx, new Uint32Array(ids));
      const out = storageBuffer(ctx, new Float32Array(ids.length * nIn).fill(NaN));
      const enc = ctx.device.createCommandEncoder();
      lk.encodeEmbedding(enc, w, idb, out, ids.length);
      ctx.device.queue.submit([enc.finish()]);
      const got = await readF32(ctx, out, ids.length * nIn);
      const want = embeddingRef(type, bytes, nIn, nOut, ids);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 2e-7 * Math.max(1, Math.abs(want[i])), `embedding value ${i}`);
      w.destroy();
    });
  }

  it('mat-vec forced for many tokens runs in groups of 4 and mat-mul forced for 1 token agrees', async () => {
    const type = GGMLType.Q5_K;
    const nIn = 512;
    const nOut = 65;
    const bytes = randomWeight(type, nIn, nOut, 77);
    const w = await uploadWeightBytes(ctx, { name: 'w', type, dims: [nIn, nOut] }, bytes);
    const lk = new LinearKernels(ctx);
    for (const [kernel, nTokens] of [['matvec', 9], ['matmul', 1]] as const) {
      const x = randn(nTokens * nIn, 5);
      const xb = storageBuffer(ctx, x);
      const yb = storageBuffer(ctx, new Float32Array(nTokens * nOut));
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass(); // encoding into a caller's pass works too
      lk.encodeMatVec(pass, w, xb, yb, nTokens, { kernel });
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      const ref = linearRef(type, bytes, nIn, nOut, x, nTokens);
      assertClose(await readF32(ctx, yb, nTokens * nOut), ref.y, ref.mag, `${kernel} nTokens=${nTokens}`);
    }
    w.destroy();
  });

  it('rejects x/y buffers too small for the requested shape, and unaligned x strides', async () => {
    const w = await uploadWeightBytes(ctx, { name: 'w', type: GGMLType.Q8_0, dims: [64, 8] }, randomWeight(GGMLType.Q8_0, 64, 8, 1));
    const lk = new LinearKernels(ctx);
    const x = storageBuffer(ctx, new Float32Array(64));
    const y = storageBuffer(ctx, new Float32Array(8));
    const enc = ctx.device.createCommandEncoder();
    assert.throws(() => lk.encodeMatVec(enc, w, x, y, 2), /x needs 128 elements/);
    assert.throws(() => lk.encodeMatVec(enc, w, x, y, 1, { yOffset: 4 }), /y needs 12 elements/);
    assert.throws(() => lk.encodeMatVec(enc, w, x, y, 1, { xOffset: 2 }), /multiples of 4/);
    w.destroy();
  });
});
