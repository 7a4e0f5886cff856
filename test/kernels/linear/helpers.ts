// Shared helpers for the linear-kernel tests: deterministic data, buffers, read-back, comparisons.
import * as assert from 'node:assert/strict';
import type { GpuContext } from '../../../gpu/device/gpu-device';
import { GGMLType, GGML_BLOCK } from '../../../gpu/gguf/types';
import { quantize } from '../../../gpu/quant';
import { rng } from '../../helpers/engine-random';

export { rng };

export const ALL_TYPES: GGMLType[] = [
  GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K,
];


export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return out;
}

/** A random [nOut][nIn] weight in the type's ggml bytes (rows of varied scale so block scales differ). */
export function randomWeight(type: GGMLType, nIn: number, nOut: number, seed: number): Uint8Array {
  const v = randn(nIn * nOut, seed, 0.05);
  const r = rng(seed ^ 0x5bd1e995);
  for (let row = 0; row < nOut; row++) {
    const s = 0.25 + 2 * r();
    for (let k = 0; k < nIn; k++) v[row * nIn + k] *= s;
  }
  return quantize(type, v);
}

/** Smallest row length valid for the type that is at least `min`. */
export function rowLen(type: GGMLType, min: number): number {
  const b = Math.max(GGML_BLOCK[type].blockSize, 8);
  return Math.ceil(min / b) * b;
}

export function storageBuffer(ctx: GpuContext, data: Float32Array | Uint32Array): GPUBuffer {
  const b = ctx.device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  const view = data instanceof Float32Array ? new Float32Array(b.getMappedRange()) : new Uint32Array(b.getMappedRange());
  view.set(data);
  b.unmap();
  return b;
}

export async function readF32(ctx: GpuContext, src: GPUBuffer, n: number): Promise<Float32Array> {
  const rd = ctx.device.createBuffer({ size: Math.ceil((n * 4) / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = ctx.device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, rd, 0, n * 4);
  ctx.device.queue.submit([enc.finish()]);
  await rd.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rd.getMappedRange().slice(0));
  rd.unmap();
  rd.destroy();
  return out;
}

/** Fails unless every output is within f32-accumulation tolerance of the f64 reference. */
export function assertClose(got: Float32Array, want: Float64Array, mag: Float64Array, what: string, rel = 1e-4): void {
  assert.equal(got.length >= want.length, true, `${what}: output too short`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (mag[i] + 1e-30);
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  assert.ok(worst <= rel, `${what}: output ${worstAt} is ${got[worstAt]}, reference ${want[worstAt]} (error ${worst.toExponential(2)} of sum|w·x|)`);
}
