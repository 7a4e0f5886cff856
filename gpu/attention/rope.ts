// RoPE frequencies and the cos/sin table the GPU kernels read. Angles are computed in f64 on the CPU so
// the kernels never evaluate sin/cos of large arguments in f32 (pos·θ loses ~pos·2^-24 rad in f32, which
// at 8K+ positions is visible in the scores); the table costs capacity × dim/2 × 8 bytes, once per model.
import type { RopeConfig } from '../model/types';

/** θ_p for each rotated pair p: base^(−2p/dim), divided by the llama3 frequency factor when present. */
export function ropeFrequencies(rope: RopeConfig): Float64Array {
  const half = rope.dim >> 1;
  const out = new Float64Array(half);
  for (let p = 0; p < half; p++) {
    let theta = Math.pow(rope.base, (-2 * p) / rope.dim);
    if (rope.freqFactors) theta /= rope.freqFactors[p];
    out[p] = theta;
  }
  return out;
}

/** Rotation angle of pair p at integer position `pos` (the linear scale multiplies the position). */
export function ropeAngle(freqs: Float64Array, p: number, pos: number, linearScale: number): number {
  return pos * linearScale * freqs[p];
}

/**
 * [positions][dim/2] pairs of (cos, sin) as f32, for positions from .. positions-1 (a KV cache that grows
 * computes only its new rows).
 */
export function ropeTable(rope: RopeConfig, positions: number, from = 0): Float32Array<ArrayBuffer> {
  const freqs = ropeFrequencies(rope);
  const half = freqs.length;
  const out = new Float32Array(Math.max(0, positions - from) * half * 2);
  const scale = rope.linearScale || 1;
  for (let pos = from; pos < positions; pos++) {
    for (let p = 0; p < half; p++) {
      const a = ropeAngle(freqs, p, pos, scale);
      const o = ((pos - from) * half + p) * 2;
      out[o] = Math.cos(a);
      out[o + 1] = Math.sin(a);
    }
  }
  return out;
}

/** Index pairs (a, b) rotated together for pair p: adjacent (2p, 2p+1) for llama, halves (p, p+dim/2) for neox. */
export function ropePair(rope: RopeConfig, p: number): [number, number] {
  return rope.layout === 'neox' ? [p, p + (rope.dim >> 1)] : [2 * p, 2 * p + 1];
}

/**
 * Rotates one head vector `x` (length headDim, from `offset`) at `pos` into `out` (f64). Dimensions past
 * rope.dim (partial rotary) pass through unchanged.
 */
export function ropeRotateF64(
  x: ArrayLike<number>,
  offset: number,
  headDim: number,
  pos: number,
  rope: RopeConfig,
  freqs: Float64Array,
  out: Float64Array,
): void {
  for (let d = 0; d < headDim; d++) out[d] = x[offset + d];
  const scale = rope.linearScale || 1;
  for (let p = 0; p < freqs.length; p++) {
    const [a, b] = ropePair(rope, p);
    const ang = ropeAngle(freqs, p, pos, scale);
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    const xa = x[offset + a];
    const xb = x[offset + b];
    out[a] = xa * c - xb * s;
    out[b] = xa * s + xb * c;
  }
}
