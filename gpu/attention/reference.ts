// CPU reference of SelfExtend attention, computed literally from the paper's formula in f64: for query
// position i and key position j, the neighbour score q(i)·k(j) when i − j < W, else the grouped score
// q(⌊i/G⌋ + W − ⌊W/G⌋)·k(⌊j/G⌋); both kinds merged before one causal softmax. G = 1 is plain attention.
import type { RopeConfig } from '../model/types';
import type { SelfExtendParams } from './types';
import { ropeFrequencies, ropeRotateF64 } from './rope';
import { roundF16 } from '../quant/half';
import { q8BlockLength } from './kv-layout';

export interface ReferenceAttentionInput {
  /** [nQ, nHeads*headDim] un-rotated queries at positions startPos .. startPos+nQ-1. */
  q: Float32Array;
  /** [nKeys, nKvHeads*headDim] un-rotated keys at positions 0 .. nKeys-1 (nKeys >= startPos + nQ). */
  k: Float32Array;
  /** [nKeys, nKvHeads*headDim]. */
  v: Float32Array;
  nQ: number;
  startPos: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  rope: RopeConfig;
  se: SelfExtendParams;
  /** Tests only: false drops the W − ⌊W/G⌋ shift, to show a test tells the wrong formula apart. */
  groupedQueryShift?: boolean;
  /**
   * 'q8_0': the rotated keys (both copies) and the values go through a q8_0 round trip (ggml's
   * quantize_row_q8_0, per 32-value block of a head's row; kv-layout.ts) before the f64 attention — the oracle of the
   * q8_0 KV kernels. Omitted: exact f64 (the reference everything is measured against).
   */
  kvQuant?: 'q8_0';
}

/**
 * A q8_0 round trip of `x` in place, per block of q8BlockLength(hd) values (32; a row shorter than 32 is
 * one block), in f32 as ggml's quantize_row_q8_0_ref: d = amax/127, q = round(x/d), stored d in f16.
 */
function q8RoundTrip(x: Float64Array, hd: number): void {
  const fr = Math.fround;
  const qb = q8BlockLength(hd);
  for (let o = 0; o < x.length; o += qb) {
    let amax = 0;
    for (let i = 0; i < qb; i++) amax = Math.max(amax, Math.abs(fr(x[o + i])));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const dh = roundF16(d);
    for (let i = 0; i < qb; i++) {
      const v = fr(fr(x[o + i]) * id);
      const q = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
      x[o + i] = dh * q;
    }
  }
}

/** Grouped query position ⌊i/G⌋ + W − ⌊W/G⌋ (the shift keeps the grouped and neighbour regions contiguous). */
export function groupedQueryPos(i: number, se: SelfExtendParams): number {
  const g = se.groupSize;
  return Math.floor(i / g) + se.neighborWindow - Math.floor(se.neighborWindow / g);
}

/** Returns [nQ, nHeads*headDim] attention outputs (f32 of the f64 result). */
export function referenceAttention(inp: ReferenceAttentionInput): Float32Array {
  const { q, k, v, nQ, startPos, nHeads, nKvHeads, headDim: hd, rope, se } = inp;
  const g = Math.max(1, se.groupSize);
  const w = g > 1 ? se.neighborWindow : Infinity;
  const nKeys = startPos + nQ;
  const freqs = ropeFrequencies(rope);
  const per = nHeads / nKvHeads;
  const scale = 1 / Math.sqrt(hd);
  const kvStride = nKvHeads * hd;
  // Keys rotated once at j (neighbour) and at ⌊j/G⌋ (grouped).
  const kN = new Float64Array(nKeys * kvStride);
  const kG = new Float64Array(nKeys * kvStride);
  const tmp = new Float64Array(hd);
  for (let j = 0; j < nKeys; j++) {
    for (let h = 0; h < nKvHeads; h++) {
      const o = j * kvStride + h * hd;
      ropeRotateF64(k, o, hd, j, rope, freqs, tmp);
      kN.set(tmp, o);
      ropeRotateF64(k, o, hd, Math.floor(j / g), rope, freqs, tmp);
      kG.set(tmp, o);
    }
  }
  let vv: ArrayLike<number> = v;
  if (inp.kvQuant === 'q8_0') {
    q8RoundTrip(kN, hd);
    q8RoundTrip(kG, hd);
    const vq = Float64Array.from(v.subarray(0, nKeys * kvStride));
    q8RoundTrip(vq, hd);
    vv = vq;
  }
  const out = new Float32Array(nQ * nHeads * hd);
  const qN = new Float64Array(hd);
  const qG = new Float64Array(hd);
  const scores = new Float64Array(nKeys);
  const acc = new Float64Array(hd);
  for (let t = 0; t < nQ; t++) {
    const i = startPos + t;
    for (let h = 0; h < nHeads; h++) {
      const qo = (t * nHeads + h) * hd;
      ropeRotateF64(q, qo, hd, i, rope, freqs, qN);
      const gq = inp.groupedQueryShift === false ? Math.floor(i / g) : groupedQueryPos(i, se);
      ropeRotateF64(q, qo, hd, g > 1 ? gq : i, rope, freqs, qG);
      const kh = Math.floor(h / per);
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        const neighbour = i - j < w;
        const qq = neighbour ? qN : qG;
        const kk = neighbour ? kN : kG;
        const ko = j * kvStride + kh * hd;
        let s = 0;
        for (let d = 0; d < hd; d++) s += qq[d] * kk[ko + d];
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      acc.fill(0);
      for (let j = 0; j <= i; j++) {
        const p = Math.exp(scores[j] - max);
        sum += p;
        const vo = j * kvStride + kh * hd;
        for (let d = 0; d < hd; d++) acc[d] += p * vv[vo + d];
      }
      for (let d = 0; d < hd; d++) out[qo + d] = acc[d] / sum;
    }
  }
  return out;
}
