// Test/bench harness: drives an AttentionModule over a sequence split into batches, reading outputs back.
import type { GpuContext } from '../../gpu/device/gpu-device';
import type { RopeConfig } from '../../gpu/model/types';
import type { AttentionModule, SelfExtendParams, SplitKvOptions } from '../../gpu/attention/types';
import { createAttention } from '../../gpu/attention/index';
import type { KvCacheType } from '../../gpu/attention/kv-layout';
import { rng } from '../helpers/engine-random';

export { rng };


export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

export function rope(layout: 'adjacent' | 'neox', dim: number, extra: Partial<RopeConfig> = {}): RopeConfig {
  return { layout, base: 10000, dim, freqFactors: null, linearScale: 1, scalingType: 'none', ...extra };
}

export interface Problem {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  rope: RopeConfig;
  /** Total tokens. */
  T: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

export function randomProblem(seed: number, nHeads: number, nKvHeads: number, headDim: number, T: number, r: RopeConfig): Problem {
  const rand = rng(seed);
  // Scale so scores spread over a few units: softmax is then neither flat nor one-hot.
  const s = 2 / Math.sqrt(Math.sqrt(headDim));
  return {
    nHeads, nKvHeads, headDim, rope: r, T,
    q: randomArray(T * nHeads * headDim, rand, s),
    k: randomArray(T * nKvHeads * headDim, rand, s),
    v: randomArray(T * nKvHeads * headDim, rand),
  };
}

function upload(device: GPUDevice, data: Float32Array): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

export interface RunOptions {
  kvF16: boolean;
  /** Overrides kvF16 when given ('q8_0' for the quantized cache). */
  kvCacheType?: KvCacheType;
  se: SelfExtendParams;
  /** Batch sizes; the last one repeats until T is covered. */
  chunks: number[];
  capacity?: number;
  layers?: number;
  splitKv?: SplitKvOptions;
  /** Memory-lean SelfExtend (one key copy, keys rotated to ⌊j/G⌋ in the kernel). */
  leanKeys?: boolean;
  /** Reuse this module (its cache must hold positions < startAt). */
  module?: AttentionModule;
  startAt?: number;
}

/** Runs positions startAt..T-1 through the module in batches; returns [T-startAt, nHeads*headDim]. */
export async function runGpu(ctx: GpuContext, p: Problem, o: RunOptions): Promise<{ out: Float32Array; module: AttentionModule }> {
  const { device } = ctx;
  const layers = o.layers ?? 1;
  const m =
    o.module ??
    createAttention(
      ctx,
      { nLayers: layers, nHeads: p.nHeads, nKvHeads: p.nKvHeads, headDim: p.headDim, rope: p.rope, capacity: o.capacity ?? p.T },
      { kvF16: o.kvF16, kvCacheType: o.kvCacheType, splitKv: o.splitKv, leanKeys: o.leanKeys },
    );
  const qw = p.nHeads * p.headDim;
  const kw = p.nKvHeads * p.headDim;
  const start = o.startAt ?? 0;
  const out = new Float32Array((p.T - start) * qw);
  const read = device.createBuffer({ size: Math.max(16, out.byteLength), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  let pos = start;
  let ci = 0;
  const temps: GPUBuffer[] = [];
  while (pos < p.T) {
    // One submit per batch, as the engine does: each batch's parameters live in a ring slot that is
    // reused after 256 batches.
    const enc = device.createCommandEncoder();
    const n = Math.min(o.chunks[Math.min(ci++, o.chunks.length - 1)], p.T - pos);
    const q = upload(device, p.q.subarray(pos * qw, (pos + n) * qw));
    const k = upload(device, p.k.subarray(pos * kw, (pos + n) * kw));
    const v = upload(device, p.v.subarray(pos * kw, (pos + n) * kw));
    const ob = device.createBuffer({ size: n * qw * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    temps.push(q, k, v, ob);
    m.beginBatch(pos, n, o.se);
    // Every layer sees the same inputs; the last layer's output is the one read back.
    for (let l = 0; l < layers; l++) m.encodeLayer(enc, { layer: l, startPos: pos, nTokens: n, q, k, v, out: ob });
    enc.copyBufferToBuffer(ob, 0, read, (pos - start) * qw * 4, n * qw * 4);
    device.queue.submit([enc.finish()]);
    pos += n;
  }
  await read.mapAsync(GPUMapMode.READ);
  out.set(new Float32Array(read.getMappedRange().slice(0)).subarray(0, out.length));
  read.unmap();
  read.destroy();
  for (const t of temps) t.destroy();
  return { out, module: m };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}
