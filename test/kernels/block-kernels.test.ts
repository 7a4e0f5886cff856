import * as assert from 'node:assert/strict';
import { openDevice, type GpuContext } from '../../gpu/device/gpu-device';
import { BlockKernels } from '../../gpu/kernels/block-kernels';
import { UniformArena, readBuffer, storageFrom } from '../../gpu/kernels/common';
import { addRef, biasAddRef, rmsNormRef, swigluRef } from '../../gpu/kernels/reference';
import { rng } from '../helpers/engine-random';

function assertClose(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol * (1 + Math.abs(want[i])))) assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

describe('block kernels (RMSNorm, add, bias add, SwiGLU) vs CPU reference', () => {
  let ctx: GpuContext;
  let arena: UniformArena;
  let k: BlockKernels;
  before(async () => {
    ctx = await openDevice();
    arena = new UniformArena(ctx.device);
    k = new BlockKernels(ctx.device, arena);
  });
  after(() => ctx?.device.destroy());

  async function run(record: (enc: GPUCommandEncoder) => void): Promise<void> {
    const enc = ctx.device.createCommandEncoder();
    record(enc);
    arena.flush();
    ctx.device.queue.submit([enc.finish()]);
    arena.reset();
  }
  const read = async (b: GPUBuffer, n: number, off = 0): Promise<Float32Array> =>
    new Float32Array(await readBuffer(ctx.device, b, n * 4, off * 4));

  for (const [rows, dim] of [[1, 1], [1, 256], [3, 257], [7, 1000], [13, 4096], [70000, 3]] as const) {
    it(`RMSNorm rows=${rows} dim=${dim}`, async () => {
      const r = rng(rows * 31 + dim);
      const x = Float32Array.from({ length: rows * dim }, () => r() * 4 - 2);
      const w = Float32Array.from({ length: dim }, () => r() * 2 - 1);
      const bx = storageFrom(ctx.device, x);
      const bw = storageFrom(ctx.device, w);
      const by = storageFrom(ctx.device, new Float32Array(rows * dim));
      await run((enc) => k.rmsNorm(enc, { x: bx, w: bw, y: by, rows, dim, eps: 1e-5 }));
      assertClose(await read(by, rows * dim), rmsNormRef(x, w, rows, dim, 1e-5), 1e-4, 'rmsnorm');
      [bx, bw, by].forEach((b) => b.destroy());
    });
  }

  it('RMSNorm of one row at an offset (final norm of the last token), per-head shape', async () => {
    const r = rng(5);
    const rows = 5, heads = 4, hd = 64;
    const x = Float32Array.from({ length: rows * heads * hd }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: hd }, () => r());
    const bx = storageFrom(ctx.device, x);
    const bw = storageFrom(ctx.device, w);
    const by = storageFrom(ctx.device, new Float32Array(heads * hd));
    // last token, all heads: rows = heads, dim = headDim, reading from the last token's offset
    await run((enc) => k.rmsNorm(enc, { x: bx, w: bw, y: by, rows: heads, dim: hd, eps: 1e-6, xOff: (rows - 1) * heads * hd }));
    const want = rmsNormRef(x.subarray((rows - 1) * heads * hd), w, heads, hd, 1e-6);
    assertClose(await read(by, heads * hd), want, 1e-4, 'per-head rmsnorm');
  });

  for (const n of [1, 255, 257, 7919, 65536 * 256 + 3]) {
    it(`residual add n=${n}`, async () => {
      const r = rng(n);
      const a = Float32Array.from({ length: n }, () => r() - 0.5);
      const b = Float32Array.from({ length: n }, () => r() - 0.5);
      const ba = storageFrom(ctx.device, a);
      const bb = storageFrom(ctx.device, b);
      await run((enc) => k.add(enc, ba, bb, n));
      assertClose(await read(ba, n), addRef(a, b), 1e-6, 'add');
      ba.destroy();
      bb.destroy();
    });
  }

  for (const [n, width] of [[1, 1], [97 * 3, 97], [8 * 1536, 1536]] as const) {
    it(`bias add n=${n} width=${width}`, async () => {
      const r = rng(n + width);
      const a = Float32Array.from({ length: n }, () => r() - 0.5);
      const bias = Float32Array.from({ length: width }, () => r() - 0.5);
      const ba = storageFrom(ctx.device, a);
      const bb = storageFrom(ctx.device, bias);
      await run((enc) => k.biasAdd(enc, ba, bb, n, width));
      assertClose(await read(ba, n), biasAddRef(a, bias), 1e-6, 'biasAdd');
    });
  }

  for (const n of [1, 13, 256, 1009, 100003]) {
    it(`SwiGLU n=${n} (including large negative gates)`, async () => {
      const r = rng(n * 7);
      const g = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -200 : r() * 16 - 8));
      const u = Float32Array.from({ length: n }, () => r() * 2 - 1);
      const bg = storageFrom(ctx.device, g);
      const bu = storageFrom(ctx.device, u);
      await run((enc) => k.swiglu(enc, bg, bu, n));
      assertClose(await read(bg, n), swigluRef(g, u), 1e-5, 'swiglu');
    });
  }
});
