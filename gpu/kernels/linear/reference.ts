// CPU references for the linear kernels: dequantize with gpu/quant (ggml's exact dequantization) and
// accumulate in f64. The GPU accumulates in f32, so comparisons use a tolerance scaled by sum |w*x|.
import type { GGMLType } from '../../gguf/types';
import { dequantize } from '../../quant';

export interface RefResult {
  y: Float64Array;
  /** sum_k |W[row][k] * x[t][k]| per output: the scale of the f32 rounding error. */
  mag: Float64Array;
}

/** y[t*nOut + row] = sum_k W[row][k] * x[t*nIn + k] for a [nOut][nIn] weight in ggml bytes. */
export function linearRef(type: GGMLType, bytes: Uint8Array, nIn: number, nOut: number, x: Float32Array, nTokens: number): RefResult {
  const w = dequantize(type, bytes, nIn * nOut);
  const y = new Float64Array(nTokens * nOut);
  const mag = new Float64Array(nTokens * nOut);
  for (let t = 0; t < nTokens; t++) {
    for (let r = 0; r < nOut; r++) {
      let s = 0;
      let m = 0;
      const wo = r * nIn;
      const xo = t * nIn;
      for (let k = 0; k < nIn; k++) {
        const p = w[wo + k] * x[xo + k];
        s += p;
        m += Math.abs(p);
      }
      y[t * nOut + r] = s;
      mag[t * nOut + r] = m;
    }
  }
  return { y, mag };
}

/** Rows `ids` of the dequantized [nOut][nIn] weight, concatenated. */
export function embeddingRef(type: GGMLType, bytes: Uint8Array, nIn: number, nOut: number, ids: ArrayLike<number>): Float32Array {
  const w = dequantize(type, bytes, nIn * nOut);
  const out = new Float32Array(ids.length * nIn);
  for (let t = 0; t < ids.length; t++) out.set(w.subarray(ids[t] * nIn, (ids[t] + 1) * nIn), t * nIn);
  return out;
}
