// Attention-only benchmark: SelfExtend vs plain attention at the same sequence length, same module
// shape and same inputs (criterion 9). Used by `npm run bench` (gpu/engine/bench.ts) and the tests.
import type { GpuContext } from '../device/gpu-device';
import type { RopeConfig } from '../model/types';
import type { SelfExtendParams } from './types';
import { createAttention } from './module';

export interface AttentionBenchInput {
  /** Sequence length: prefill covers 0..T-1, decode steps run at T, T+1, ... */
  T: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  G: number;
  W: number;
  /** Prefill chunk (default 512). */
  chunk?: number;
  /** Decode steps timed (default 16). */
  decodeSteps?: number;
  /** Repetitions; the fastest counts (default 2). */
  reps?: number;
  kvF16?: boolean;
  rope?: RopeConfig;
}

export interface AttentionBenchSide {
  /** Milliseconds for the whole prefill (all chunks), one layer. */
  prefillMs: number;
  /** Milliseconds per decode step at context T, one layer. */
  decodeMs: number;
}

export interface AttentionBenchResult {
  T: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  selfExtend: SelfExtendParams;
  kvF16: boolean;
  plain: AttentionBenchSide;
  selfExtendSide: AttentionBenchSide;
  /** SelfExtend in memory-lean mode (one key copy, rotated in the kernel), same run. */
  leanSide: AttentionBenchSide;
  /** Lean vs two-copy SelfExtend decode time, percent. */
  leanDecodeOverheadPct: number;
  leanPrefillOverheadPct: number;
  /** (SelfExtend − plain) / plain, in percent. */
  prefillOverheadPct: number;
  decodeOverheadPct: number;
}

function filled(device: GPUDevice, floats: number, seed: number): GPUBuffer {
  const data = new Float32Array(floats);
  let s = seed >>> 0;
  for (let i = 0; i < floats; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 0.5;
  }
  const b = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

export async function benchAttention(ctx: GpuContext, inp: AttentionBenchInput): Promise<AttentionBenchResult> {
  const { device } = ctx;
  const chunk = inp.chunk ?? 512;
  const steps = inp.decodeSteps ?? 16;
  const reps = inp.reps ?? 2;
  const kvF16 = (inp.kvF16 ?? true) && ctx.info.features.shaderF16;
  const rope: RopeConfig = inp.rope ?? { layout: 'neox', base: 10000, dim: inp.headDim, freqFactors: null, linearScale: 1, scalingType: 'none' };
  const shape = { nLayers: 1, nHeads: inp.heads, nKvHeads: inp.kvHeads, headDim: inp.headDim, rope, capacity: inp.T + steps };
  const m = createAttention(ctx, shape, { kvF16 });
  const qw = inp.heads * inp.headDim;
  const kw = inp.kvHeads * inp.headDim;
  const q = filled(device, chunk * qw, 1);
  const k = filled(device, chunk * kw, 2);
  const v = filled(device, chunk * kw, 3);
  const out = device.createBuffer({ size: chunk * qw * 4, usage: GPUBufferUsage.STORAGE });
  const run = async (se: SelfExtendParams, lean = false): Promise<AttentionBenchSide> => {
    m.leanKeys = lean;
    let t = performance.now();
    for (let pos = 0; pos < inp.T; pos += chunk) {
      const n = Math.min(chunk, inp.T - pos);
      m.beginBatch(pos, n, se);
      const enc = device.createCommandEncoder();
      m.encodeLayer(enc, { layer: 0, startPos: pos, nTokens: n, q, k, v, out });
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    }
    const prefillMs = performance.now() - t;
    t = performance.now();
    for (let s = 0; s < steps; s++) {
      m.beginBatch(inp.T + s, 1, se);
      const enc = device.createCommandEncoder();
      m.encodeLayer(enc, { layer: 0, startPos: inp.T + s, nTokens: 1, q, k, v, out });
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    }
    return { prefillMs, decodeMs: (performance.now() - t) / steps };
  };
  const plainSe = { groupSize: 1, neighborWindow: 0 };
  const se = { groupSize: inp.G, neighborWindow: inp.W };
  try {
    await run(plainSe); // warm-up: pipeline compilation, first-touch of the cache
    await run(se, true); // warm-up of the lean path
    const min = (x: AttentionBenchSide, y: AttentionBenchSide): AttentionBenchSide => ({ prefillMs: Math.min(x.prefillMs, y.prefillMs), decodeMs: Math.min(x.decodeMs, y.decodeMs) });
    let best: { plain: AttentionBenchSide; se: AttentionBenchSide; lean: AttentionBenchSide } | undefined;
    for (let r = 0; r < reps; r++) {
      // Alternate the three so drift on a shared machine hits all alike.
      const a = await run(plainSe);
      const b = await run(se);
      const c = await run(se, true);
      best = best ? { plain: min(best.plain, a), se: min(best.se, b), lean: min(best.lean, c) } : { plain: a, se: b, lean: c };
    }
    const { plain, se: s, lean } = best!;
    return {
      T: inp.T,
      heads: inp.heads,
      kvHeads: inp.kvHeads,
      headDim: inp.headDim,
      selfExtend: se,
      kvF16,
      plain,
      selfExtendSide: s,
      prefillOverheadPct: (100 * (s.prefillMs - plain.prefillMs)) / plain.prefillMs,
      decodeOverheadPct: (100 * (s.decodeMs - plain.decodeMs)) / plain.decodeMs,
      leanSide: lean,
      leanDecodeOverheadPct: (100 * (lean.decodeMs - s.decodeMs)) / s.decodeMs,
      leanPrefillOverheadPct: (100 * (lean.prefillMs - s.prefillMs)) / s.prefillMs,
    };
  } finally {
    m.dispose();
    for (const b of [q, k, v, out]) b.destroy();
  }
}
