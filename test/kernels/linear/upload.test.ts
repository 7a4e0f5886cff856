// Streaming weight upload: chunking by the binding limit, bounded reads, progress, cancellation, errors.
import * as assert from 'node:assert/strict';
import { openDevice, type GpuContext } from '../../../gpu/device/gpu-device';
import { GGMLType, GGML_BLOCK } from '../../../gpu/gguf/types';
import { uploadWeight, rowsPerChunk, GPU_LAYOUT, UnsupportedWeightError, WeightAllocationError } from '../../../gpu/kernels/linear';
import { ALL_TYPES, randomWeight } from './helpers';

describe('linear: weight upload', function () {
  let ctx: GpuContext;
  before(async () => {
    ctx = await openDevice();
  });
  after(() => ctx?.device.destroy());

  it('the repacked GPU layout has exactly the ggml size per block', () => {
    for (const type of ALL_TYPES) {
      const l = GPU_LAYOUT[type];
      const ggmlPerValue = GGML_BLOCK[type].typeSize / GGML_BLOCK[type].blockSize;
      assert.equal((l.wordsA + l.wordsX) * 4 + (l.hasF ? 2 : 0), ggmlPerValue * l.blockValues, GGMLType[type]);
      assert.equal(l.wordsA % 4, 0, `${GGMLType[type]}: A section must be vec4-aligned`);
    }
  });

  it('streams bounded pieces, reports progress to the total, and splits at the binding limit', async () => {
    const type = GGMLType.Q8_0;
    const nIn = 512;
    const nOut = 1000;
    const bytes = randomWeight(type, nIn, nOut, 3);
    const reads: Array<[number, number]> = [];
    const progress: number[] = [];
    const w = await uploadWeight(
      ctx,
      { name: 'big', type, dims: [nIn, nOut] },
      async (offset, length) => {
        reads.push([offset, length]);
        return bytes.slice(offset, offset + length);
      },
      { maxBindingSize: 200_000, pieceBytes: 20_000, onProgress: (done, total) => progress.push(done / total) },
    );
    const rowBytes = (nIn / 32) * 34;
    assert.ok(reads.every(([, len]) => len <= 20_000), 'a read exceeded pieceBytes');
    // Reads cover the tensor exactly once, in order.
    let next = 0;
    for (const [off, len] of reads) {
      assert.equal(off, next);
      next += len;
    }
    assert.equal(next, bytes.length);
    assert.equal(progress.at(-1), 1);
    assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]));
    const perChunk = rowsPerChunk(rowBytes, nOut, 200_000);
    assert.equal(perChunk % 64, 0);
    assert.equal(w.chunks.length, Math.ceil(nOut / perChunk));
    assert.ok(w.chunks.every((c) => c.buffer.size <= 200_000));
    assert.ok(w.byteLength >= bytes.length && w.byteLength <= bytes.length + 32 * w.chunks.length);
    w.destroy();
  });

  it('cancels between pieces and frees what it allocated', async () => {
    const type = GGMLType.F16;
    const bytes = randomWeight(type, 256, 400, 4);
    const ac = new AbortController();
    const created: GPUBuffer[] = [];
    const real = ctx.device.createBuffer.bind(ctx.device);
    const spy = (d: GPUBufferDescriptor): GPUBuffer => {
      const b = real(d);
      created.push(b);
      return b;
    };
    ctx.device.createBuffer = spy;
    try {
      await assert.rejects(
        uploadWeight(ctx, { name: 'cancel', type, dims: [256, 400] }, async (o, l) => bytes.subarray(o, o + l), {
          pieceBytes: 4096,
          maxBindingSize: 100_000,
          onProgress: (done) => {
            if (done >= 8192) ac.abort();
          },
          signal: ac.signal,
        }),
        (e: Error) => e.name === 'AbortError',
      );
    } finally {
      ctx.device.createBuffer = real;
    }
    assert.ok(created.length >= 1);
    // A destroyed buffer cannot be mapped or written: writeBuffer to it raises a validation error.
    for (const b of created) {
      ctx.device.pushErrorScope('validation');
      ctx.device.queue.writeBuffer(b, 0, new Uint8Array(4));
      assert.ok(await ctx.device.popErrorScope(), 'a buffer of the cancelled upload was not destroyed');
    }
  });

  it('explains unsupported types, bad row lengths and rows larger than a binding', async () => {
    const read = async (): Promise<Uint8Array> => new Uint8Array(0);
    await assert.rejects(uploadWeight(ctx, { name: 'q2', type: 10 as GGMLType, dims: [256, 4] }, read), (e: Error) => e instanceof UnsupportedWeightError && /not supported on the GPU/.test(e.message));
    await assert.rejects(uploadWeight(ctx, { name: 'odd', type: GGMLType.Q4_K, dims: [300, 4] }, read), /multiple of 256/);
    await assert.rejects(uploadWeight(ctx, { name: 'f32', type: GGMLType.F32, dims: [6, 4] }, read), /multiple of 4/);
    await assert.rejects(uploadWeight(ctx, { name: '3d', type: GGMLType.F32, dims: [8, 4, 2] }, read), /2-D weight/);
    await assert.rejects(
      uploadWeight(ctx, { name: 'wide', type: GGMLType.F32, dims: [4096, 4] }, read, { maxBindingSize: 8192 }),
      (e: Error) => e instanceof WeightAllocationError && /one binding/.test(e.message),
    );
    await assert.rejects(
      uploadWeight(ctx, { name: 'short', type: GGMLType.F32, dims: [8, 4] }, async () => new Uint8Array(10)),
      /short read/,
    );
  });
});
