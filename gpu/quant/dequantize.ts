// CPU dequantization, bit-exact with ggml's dequantize_row_* (ggml-quants.c): every product and
// difference is rounded to f32 as C does (no FMA contraction). It defines what the GPU kernels compute.
import { GGMLType, GGML_BLOCK } from '../gguf/types';
import { f16BitsToF32, bf16BitsToF32 } from './half';
import { checkLength, getScaleMinK4 } from './layout';

const fr = Math.fround;

function f16At(b: Uint8Array, o: number): number {
  return f16BitsToF32(b[o] | (b[o + 1] << 8));
}

export function dequantize(type: GGMLType, bytes: Uint8Array, nElements: number): Float32Array {
  checkLength(type, bytes, nElements);
  const y = new Float32Array(nElements);
  const { blockSize, typeSize } = GGML_BLOCK[type];
  const nb = nElements / blockSize;
  switch (type) {
    case GGMLType.F32:
      new Uint8Array(y.buffer).set(bytes.subarray(0, nElements * 4));
      return y;
    case GGMLType.F16:
      for (let i = 0; i < nElements; i++) y[i] = f16At(bytes, 2 * i);
      return y;
    case GGMLType.BF16:
      for (let i = 0; i < nElements; i++) y[i] = bf16BitsToF32(bytes[2 * i] | (bytes[2 * i + 1] << 8));
      return y;
    case GGMLType.Q8_0:
      for (let i = 0; i < nb; i++) {
        const o = i * typeSize;
        const d = f16At(bytes, o);
        for (let j = 0; j < 32; j++) y[i * 32 + j] = (((bytes[o + 2 + j] << 24) >> 24) * d);
      }
      return y;
    case GGMLType.Q4_0:
    case GGMLType.Q4_1:
      for (let i = 0; i < nb; i++) {
        const o = i * typeSize;
        const d = f16At(bytes, o);
        const isQ41 = type === GGMLType.Q4_1;
        const m = isQ41 ? f16At(bytes, o + 2) : 0;
        const qs = o + (isQ41 ? 4 : 2);
        for (let j = 0; j < 16; j++) {
          const q = bytes[qs + j];
          if (isQ41) {
            y[i * 32 + j] = fr(fr((q & 15) * d) + m);
            y[i * 32 + j + 16] = fr(fr((q >> 4) * d) + m);
          } else {
            y[i * 32 + j] = ((q & 15) - 8) * d;
            y[i * 32 + j + 16] = ((q >> 4) - 8) * d;
          }
        }
      }
      return y;
    case GGMLType.Q5_0:
    case GGMLType.Q5_1:
      for (let i = 0; i < nb; i++) {
        const o = i * typeSize;
        const isQ51 = type === GGMLType.Q5_1;
        const d = f16At(bytes, o);
        const m = isQ51 ? f16At(bytes, o + 2) : 0;
        const hq = o + (isQ51 ? 4 : 2);
        const qh = (bytes[hq] | (bytes[hq + 1] << 8) | (bytes[hq + 2] << 16) | (bytes[hq + 3] << 24)) >>> 0;
        const qs = hq + 4;
        for (let j = 0; j < 16; j++) {
          const q = bytes[qs + j];
          const x0 = (q & 15) | (((qh >>> j) << 4) & 0x10);
          const x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
          if (isQ51) {
            y[i * 32 + j] = fr(fr(x0 * d) + m);
            y[i * 32 + j + 16] = fr(fr(x1 * d) + m);
          } else {
            y[i * 32 + j] = (x0 - 16) * d;
            y[i * 32 + j + 16] = (x1 - 16) * d;
          }
        }
      }
      return y;
    case GGMLType.Q4_K:
    case GGMLType.Q5_K:
      for (let i = 0; i < nb; i++) {
        const o = i * typeSize;
        const isQ5 = type === GGMLType.Q5_K;
        const d = f16At(bytes, o);
        const dmin = f16At(bytes, o + 2);
        const scales = bytes.subarray(o + 4, o + 16);
        const qhOff = o + 16;
        let ql = o + (isQ5 ? 48 : 16);
        let out = i * 256;
        let u1 = 1;
        let u2 = 2;
        for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
          const [sc1, m1i] = getScaleMinK4(is, scales);
          const [sc2, m2i] = getScaleMinK4(is + 1, scales);
          const d1 = fr(d * sc1);
          const m1 = fr(dmin * m1i);
          const d2 = fr(d * sc2);
          const m2 = fr(dmin * m2i);
          for (let l = 0; l < 32; l++) {
            const h = isQ5 && bytes[qhOff + l] & u1 ? 16 : 0;
            y[out++] = fr(fr(d1 * ((bytes[ql + l] & 15) + h)) - m1);
          }
          for (let l = 0; l < 32; l++) {
            const h = isQ5 && bytes[qhOff + l] & u2 ? 16 : 0;
            y[out++] = fr(fr(d2 * ((bytes[ql + l] >> 4) + h)) - m2);
          }
          ql += 32;
          u1 <<= 2;
          u2 <<= 2;
        }
      }
      return y;
    case GGMLType.Q6_K:
      for (let i = 0; i < nb; i++) {
        const o = i * typeSize;
        const d = f16At(bytes, o + 208);
        let ql = o;
        let qh = o + 128;
        let sc = o + 192;
        let out = i * 256;
        for (let n = 0; n < 256; n += 128) {
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const h = bytes[qh + l];
            const q1 = ((bytes[ql + l] & 15) | ((h & 3) << 4)) - 32;
            const q2 = ((bytes[ql + l + 32] & 15) | (((h >> 2) & 3) << 4)) - 32;
            const q3 = ((bytes[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
            const q4 = ((bytes[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
            const s = (k: number): number => (bytes[sc + is + k] << 24) >> 24;
            y[out + l] = fr(d * s(0)) * q1;
            y[out + l + 32] = fr(d * s(2)) * q2;
            y[out + l + 64] = fr(d * s(4)) * q3;
            y[out + l + 96] = fr(d * s(6)) * q4;
          }
          out += 128;
          ql += 64;
          qh += 32;
          sc += 8;
        }
      }
      return y;
    default:
      throw new Error(`dequantize: unsupported tensor type ${String(type)}`);
  }
}
