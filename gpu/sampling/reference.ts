// CPU reference of the GPU sampler (same order and semantics as sampling.wgsl), for tests.
import type { SamplingParams } from './gpu-sampler';

/** The PCG hash the shader uses to turn a per-step seed into u in [0, 1). */
export function seedToUniform(seed: number): number {
  const s = (Math.imul(seed >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  const h = ((w >>> 22) ^ w) >>> 0;
  return (h >>> 8) / 16777216;
}

/** llama.cpp repetition penalty over the unique ids of the window. */
export function applyPenaltyRef(logits: Float32Array, recent: readonly number[], penalty: number): Float32Array {
  const out = Float32Array.from(logits);
  if (penalty === 1) return out;
  for (const id of new Set(recent)) {
    if (id < 0 || id >= out.length) continue;
    out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty;
  }
  return out;
}

export function argmaxRef(x: Float32Array): number {
  let bi = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[bi]) bi = i;
  return bi;
}

export interface SampleRefResult {
  /** Kept ids in index order and their final (tempered, normalised) probabilities. */
  kept: number[];
  probs: number[];
  /** The id drawn for u, walking the mass in index order. */
  pick: number;
}

export function sampleRef(logitsIn: Float32Array, params: SamplingParams, recent: readonly number[], u: number): SampleRefResult {
  const x = applyPenaltyRef(logitsIn, recent, params.repeatPenalty);
  const V = x.length;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => x[b] - x[a] || a - b);
  const M = x[order[0]];
  let thr = -Infinity;
  if (params.topK > 0 && params.topK < V) thr = x[order[params.topK - 1]];
  const cand = order.filter((i) => x[i] >= thr);
  let keepThr = thr;
  if (params.topP < 1) {
    const z = cand.reduce((s, i) => s + Math.exp(x[i] - M), 0);
    let c = 0;
    for (const i of cand) {
      c += Math.exp(x[i] - M);
      if (c >= params.topP * z) {
        keepThr = x[i];
        break;
      }
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < V; i++) if (x[i] >= keepThr) kept.push(i);
  const w = kept.map((i) => Math.exp((x[i] - M) / Math.max(params.temperature, 1e-6)));
  const total = w.reduce((a, b) => a + b, 0);
  const probs = w.map((v) => v / total);
  let pick = kept[kept.length - 1];
  let c = 0;
  for (let j = 0; j < kept.length; j++) {
    c += w[j];
    if (u * total < c) {
      pick = kept[j];
      break;
    }
  }
  return { kept, probs, pick };
}
