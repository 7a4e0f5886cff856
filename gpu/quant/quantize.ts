// CPU quantization modelled on ggml's quantize_row_*_ref (ggml-quants.c), in f32 arithmetic, so that
// test models written by us quantize the way llama.cpp's own tools would. Any valid block is a valid
// input for the kernels; matching the reference search just keeps the round-trip error realistic.
import { GGMLType, GGML_BLOCK } from '../gguf/types';
import { f32ToF16Bits, f32ToBf16Bits, roundF16 } from './half';
import { byteSize, getScaleMinK4, QK_K } from './layout';

const fr = Math.fround;
const GROUP_MAX_EPS = 1e-15;

/** ggml's nearest_int: round half to even via the 1.5*2^23 trick (valid for |v| < 2^22). */
export function nearestInt(v: number): number {
  return fr(fr(v) + 12582912) - 12582912;
}

/** C's roundf: half away from zero. */
function roundf(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

function putF16(out: Uint8Array, o: number, v: number): void {
  const h = f32ToF16Bits(v);
  out[o] = h & 0xff;
  out[o + 1] = h >> 8;
}

/** (int8_t) cast of a float: truncation toward zero. */
const trunc = Math.trunc;

export function quantize(type: GGMLType, values: Float32Array): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(byteSize(type, n));
  const { blockSize, typeSize } = GGML_BLOCK[type];
  const nb = n / blockSize;
  switch (type) {
    case GGMLType.F32:
      out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4));
      return out;
    case GGMLType.F16:
      for (let i = 0; i < n; i++) putF16(out, 2 * i, values[i]);
      return out;
    case GGMLType.BF16:
      for (let i = 0; i < n; i++) {
        const h = f32ToBf16Bits(values[i]);
        out[2 * i] = h & 0xff;
        out[2 * i + 1] = h >> 8;
      }
      return out;
    case GGMLType.Q8_0:
      for (let i = 0; i < nb; i++) {
        const x = values.subarray(i * 32, i * 32 + 32);
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[j]));
        const d = fr(amax / 127);
        const id = d ? fr(1 / d) : 0;
        const o = i * typeSize;
        putF16(out, o, d);
        for (let j = 0; j < 32; j++) out[o + 2 + j] = roundf(fr(x[j] * id)) & 0xff;
      }
      return out;
    case GGMLType.Q4_0:
    case GGMLType.Q5_0: {
      const is5 = type === GGMLType.Q5_0;
      const half = is5 ? 16 : 8;
      const qmax = is5 ? 31 : 15;
      for (let i = 0; i < nb; i++) {
        const x = values.subarray(i * 32, i * 32 + 32);
        let amax = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          if (amax < Math.abs(x[j])) {
            amax = Math.abs(x[j]);
            max = x[j];
          }
        }
        const d = fr(max / -half);
        const id = d ? fr(1 / d) : 0;
        const o = i * typeSize;
        putF16(out, o, d);
        const qs = o + (is5 ? 6 : 2);
        let qh = 0;
        for (let j = 0; j < 16; j++) {
          const xi0 = Math.min(qmax, trunc(fr(fr(x[j] * id) + half + 0.5)));
          const xi1 = Math.min(qmax, trunc(fr(fr(x[j + 16] * id) + half + 0.5)));
          out[qs + j] = (xi0 & 15) | ((xi1 & 15) << 4);
          qh |= ((xi0 & 0x10) >> 4) << j;
          qh |= ((xi1 & 0x10) >> 4) << (j + 16);
        }
        if (is5) writeU32(out, o + 2, qh);
      }
      return out;
    }
    case GGMLType.Q4_1:
    case GGMLType.Q5_1: {
      const is5 = type === GGMLType.Q5_1;
      const qmax = is5 ? 31 : 15;
      for (let i = 0; i < nb; i++) {
        const x = values.subarray(i * 32, i * 32 + 32);
        let min = Infinity;
        let max = -Infinity;
        for (let j = 0; j < 32; j++) {
          min = Math.min(min, x[j]);
          max = Math.max(max, x[j]);
        }
        const d = fr(fr(max - min) / qmax);
        const id = d ? fr(1 / d) : 0;
        const o = i * typeSize;
        putF16(out, o, d);
        putF16(out, o + 2, min);
        const qs = o + (is5 ? 8 : 4);
        let qh = 0;
        for (let j = 0; j < 16; j++) {
          const xi0 = Math.min(qmax, trunc(fr(fr(fr(x[j] - min) * id) + 0.5)));
          const xi1 = Math.min(qmax, trunc(fr(fr(fr(x[j + 16] - min) * id) + 0.5)));
          out[qs + j] = (xi0 & 15) | ((xi1 & 15) << 4);
          qh |= ((xi0 & 0x10) >> 4) << j;
          qh |= ((xi1 & 0x10) >> 4) << (j + 16);
        }
        if (is5) writeU32(out, o + 4, qh);
      }
      return out;
    }
    case GGMLType.Q4_K:
    case GGMLType.Q5_K:
      for (let i = 0; i < nb; i++) quantizeBlockQ45K(values.subarray(i * QK_K, (i + 1) * QK_K), out.subarray(i * typeSize, (i + 1) * typeSize), type === GGMLType.Q5_K);
      return out;
    case GGMLType.Q6_K:
      for (let i = 0; i < nb; i++) quantizeBlockQ6K(values.subarray(i * QK_K, (i + 1) * QK_K), out.subarray(i * typeSize, (i + 1) * typeSize));
      return out;
    default:
      throw new Error(`quantize: unsupported tensor type ${String(type)}`);
  }
}

function writeU32(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
  out[o + 2] = (v >>> 16) & 0xff;
  out[o + 3] = (v >>> 24) & 0xff;
}

/**
 * ggml's make_qkx2_quants: asymmetric (scale, min) search for one sub-block, weighted least squares over
 * nstep+1 candidate scales. Writes levels 0..nmax into L and returns [scale, -min].
 */
function makeQkx2Quants(
  nmax: number,
  x: Float32Array,
  w: Float32Array,
  L: Uint8Array,
  Laux: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
): [number, number] {
  const n = x.length;
  let min = x[0];
  let max = x[0];
  let sumW = w[0];
  let sumX = fr(sumW * x[0]);
  for (let i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sumW = fr(sumW + w[i]);
    sumX = fr(sumX + fr(w[i] * x[i]));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0);
    return [0, -min];
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(fr(iscale * fr(x[i] - min)));
    L[i] = Math.max(0, Math.min(nmax, l));
    const diff = fr(fr(fr(scale * L[i]) + min) - x[i]);
    bestError = fr(bestError + fr(w[i] * fr(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[i] - min)))));
      Laux[i] = l;
      const wl = fr(w[i] * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[i]));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = fr(fr(fr(thisScale * Laux[i]) + thisMin) - x[i]);
        curError = fr(curError + fr(w[i] * fr(diff * diff)));
      }
      if (curError < bestError) {
        L.set(Laux);
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

function quantizeBlockQ45K(x: Float32Array, y: Uint8Array, is5: boolean): void {
  const nmax = is5 ? 31 : 15;
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const scales = new Float32Array(8);
  const mins = new Float32Array(8);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xs = x.subarray(32 * j, 32 * j + 32);
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(xs[l] * xs[l]));
    const avX = fr(Math.sqrt(fr(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = avX + Math.abs(xs[l]);
    const [s, m] = is5
      ? makeQkx2Quants(31, xs, weights, L.subarray(32 * j, 32 * j + 32), Laux, -0.5, 0.1, 15)
      : makeQkx2Quants(15, xs, weights, L.subarray(32 * j, 32 * j + 32), Laux, -1, 0.1, 20);
    scales[j] = s;
    mins[j] = m;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
  const sc = y.subarray(4, 16);
  sc.fill(0);
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(fr(invScale * scales[j])));
    const lm = Math.min(63, nearestInt(fr(invMin * mins[j])));
    if (j < 4) {
      sc[j] = ls;
      sc[j + 4] = lm;
    } else {
      sc[j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      sc[j - 4] |= (ls >> 4) << 6;
      sc[j] |= (lm >> 4) << 6;
    }
  }
  putF16(y, 0, fr(maxScale / 63));
  putF16(y, 2, fr(maxMin / 63));
  const d = roundF16(fr(maxScale / 63));
  const dmin = roundF16(fr(maxMin / 63));
  for (let j = 0; j < 8; j++) {
    const [s, m] = getScaleMinK4(j, sc);
    const dd = fr(d * s);
    if (!dd) continue;
    const dm = fr(dmin * m);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(fr(fr(x[32 * j + ii] + dm) / dd));
      L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
  if (is5) {
    const qh = y.subarray(16, 48);
    const ql = y.subarray(48, 176);
    qh.fill(0);
    let m1 = 1;
    let m2 = 2;
    for (let n = 0, q = 0; n < QK_K; n += 64, q += 32) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] |= m1;
        }
        let l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          qh[j] |= m2;
        }
        ql[q + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  } else {
    const q = y.subarray(16, 144);
    for (let j = 0, o = 0; j < QK_K; j += 64, o += 32) {
      for (let l = 0; l < 32; l++) q[o + l] = L[j + l] | (L[j + l + 32] << 4);
    }
  }
}

/**
 * ggml's make_qx_quants with rmse_type 1 (weights x^2): symmetric scale search for one 16-value
 * sub-block; writes levels 0..2*nmax-1 (offset by nmax) into L and returns the scale.
 */
function makeQxQuants(nmax: number, x: Float32Array, L: Uint8Array): number {
  const n = x.length;
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0);
    return 0;
  }
  const sums = (iscale: number, store: boolean): [number, number] => {
    let sumlx = 0;
    let suml2 = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * x[i]))));
      if (store) L[i] = l + nmax;
      const w = fr(x[i] * x[i]);
      sumlx = fr(sumlx + fr(fr(w * x[i]) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    return [sumlx, suml2];
  };
  let [sumlx, suml2] = sums(fr(-nmax / max), true);
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    const iscale = fr(-fr(nmax + fr(0.1 * is)) / max);
    [sumlx, suml2] = sums(iscale, false);
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      sums(iscale, true);
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

function quantizeBlockQ6K(x: Float32Array, y: Uint8Array): void {
  const L = new Uint8Array(QK_K);
  const scales = new Float32Array(16);
  let maxScale = 0;
  let maxAbsScale = 0;
  for (let ib = 0; ib < 16; ib++) {
    const s = makeQxQuants(32, x.subarray(16 * ib, 16 * ib + 16), L.subarray(16 * ib, 16 * ib + 16));
    scales[ib] = s;
    if (Math.abs(s) > maxAbsScale) {
      maxAbsScale = Math.abs(s);
      maxScale = s;
    }
  }
  y.fill(0);
  if (maxAbsScale < GROUP_MAX_EPS) return; // all-zero block, d = 0
  const iscale = fr(-128 / maxScale);
  putF16(y, 208, fr(1 / iscale));
  const d = roundF16(fr(1 / iscale));
  const sc = y.subarray(192, 208);
  for (let ib = 0; ib < 16; ib++) sc[ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]))) & 0xff;
  for (let j = 0; j < 16; j++) {
    const dd = fr(d * ((sc[j] << 24) >> 24));
    if (!dd) continue;
    for (let ii = 0; ii < 16; ii++) {
      const l = Math.max(-32, Math.min(31, nearestInt(fr(x[16 * j + ii] / dd))));
      L[16 * j + ii] = l + 32;
    }
  }
  const ql = y.subarray(0, 128);
  const qh = y.subarray(128, 192);
  for (let j = 0, qlo = 0, qho = 0; j < QK_K; j += 128, qlo += 64, qho += 32) {
    for (let l = 0; l < 32; l++) {
      const q1 = L[j + l] & 0xf;
      const q2 = L[j + l + 32] & 0xf;
      const q3 = L[j + l + 64] & 0xf;
      const q4 = L[j + l + 96] & 0xf;
      ql[qlo + l] = q1 | (q3 << 4);
      ql[qlo + l + 32] = q2 | (q4 << 4);
      qh[qho + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
    }
  }
}
