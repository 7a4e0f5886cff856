// GPU storage layout of weight matrices ("repacked" ggml blocks) and the CPU repacking that produces it.
//
// ggml blocks are not 4-byte aligned (Q8_0 is 34 bytes, Q6_K 210), so each GPU chunk buffer holds the
// chunk's blocks split into up to three sections, each indexed by the chunk-local block index
// g = localRow * blocksPerRow + blockInRow:
//
//   A  (offset 0)      wordsA u32 per block, always a multiple of 4 so a block (and each 32-value piece
//                      of it) is read with aligned vec4<u32> loads: the quant bits.
//   X  (offset offX)   wordsX u32 per block: per-block extras that are naturally 4 bytes.
//   F  (offset offF)   one f16 per block (two per u32): the block scale d.
//
//   type   A (bytes/block)                        X                 F     total (= ggml size)
//   F32    4 values (16 B, a "block" of 4)        -                 -     16
//   F16    8 values (16 B)                        -                 -     16
//   BF16   8 values (16 B)                        -                 -     16
//   Q8_0   qs[32] int8                            -                 d     34
//   Q4_0   qs[16] nibbles                         -                 d     18
//   Q4_1   qs[16]                                 d|m<<16           -     20
//   Q5_0   qs[16]                                 qh                d     22
//   Q5_1   qs[16]                                 qh, d|m<<16       -     24
//   Q4_K   the ggml block verbatim (144 B)        -                 -     144
//   Q5_K   the ggml block verbatim (176 B)        -                 -     176
//   Q6_K   ql[128] qh[64] scales[16] (208 B)      -                 d     210
//
// So the GPU copy is exactly as large as the file's tensor (plus <16 B of section padding per chunk):
// no bandwidth is spent on padding. Float types use "blocks" of 4 (F32) or 8 (F16/BF16) values, which
// is why their row length must be a multiple of 4 or 8.
import { GGMLType, GGML_BLOCK } from '../../gguf/types';
import { typeName } from '../../quant/layout';
import { UnsupportedWeightError } from './errors';

export { UnsupportedWeightError };

export interface GpuTypeLayout {
  type: GGMLType;
  /** Values per storage block (ggml block size, or 4/8 for float types). */
  blockValues: number;
  /** Bytes per block in the ggml file. */
  srcBytes: number;
  wordsA: number;
  wordsX: number;
  hasF: boolean;
  /** vec4<f32> values produced per kernel work unit (a unit is 32 values for quantized types). */
  unitVec4: number;
}

const L = (type: GGMLType, blockValues: number, srcBytes: number, wordsA: number, wordsX: number, hasF: boolean, unitVec4: number): GpuTypeLayout => ({
  type, blockValues, srcBytes, wordsA, wordsX, hasF, unitVec4,
});

export const GPU_LAYOUT: Readonly<Record<GGMLType, GpuTypeLayout>> = {
  [GGMLType.F32]: L(GGMLType.F32, 4, 16, 4, 0, false, 1),
  [GGMLType.F16]: L(GGMLType.F16, 8, 16, 4, 0, false, 2),
  [GGMLType.BF16]: L(GGMLType.BF16, 8, 16, 4, 0, false, 2),
  [GGMLType.Q8_0]: L(GGMLType.Q8_0, 32, 34, 8, 0, true, 8),
  [GGMLType.Q4_0]: L(GGMLType.Q4_0, 32, 18, 4, 0, true, 8),
  [GGMLType.Q4_1]: L(GGMLType.Q4_1, 32, 20, 4, 1, false, 8),
  [GGMLType.Q5_0]: L(GGMLType.Q5_0, 32, 22, 4, 1, true, 8),
  [GGMLType.Q5_1]: L(GGMLType.Q5_1, 32, 24, 4, 2, false, 8),
  [GGMLType.Q4_K]: L(GGMLType.Q4_K, 256, 144, 36, 0, false, 8),
  [GGMLType.Q5_K]: L(GGMLType.Q5_K, 256, 176, 44, 0, false, 8),
  [GGMLType.Q6_K]: L(GGMLType.Q6_K, 256, 210, 52, 0, true, 8),
};


export function gpuLayout(type: number): GpuTypeLayout {
  const l = (GPU_LAYOUT as Record<number, GpuTypeLayout | undefined>)[type];
  if (!l) {
    throw new UnsupportedWeightError(
      `Tensor type ${typeName(type as GGMLType)} is not supported on the GPU; supported: ${Object.values(GPU_LAYOUT).map((x) => typeName(x.type)).join(', ')}. Use a GGUF quantized as Q4_K_M, Q5_K_M, Q8_0 or F16.`,
    );
  }
  return l;
}

/** Blocks per row, validating that rows are whole blocks (and whole vec4s for float types). */
export function blocksPerRow(type: GGMLType, nIn: number): number {
  const l = gpuLayout(type);
  if (!Number.isInteger(nIn) || nIn <= 0 || nIn % l.blockValues !== 0) {
    const ggmlBlock = GGML_BLOCK[type].blockSize;
    throw new UnsupportedWeightError(
      `${typeName(type)} weight rows of ${nIn} values cannot be stored on the GPU: the row length must be a multiple of ${l.blockValues}` +
        (ggmlBlock > 1 ? ' (the ggml block size)' : ' (so that rows load as whole vec4s)'),
    );
  }
  return nIn / l.blockValues;
}

/** Section offsets (u32 words) and total size (bytes) of a chunk buffer holding `nBlocks` blocks. */
export function chunkSections(l: GpuTypeLayout, nBlocks: number): { offX: number; offF: number; bytes: number } {
  const round4 = (w: number): number => Math.ceil(w / 4) * 4;
  const offX = nBlocks * l.wordsA; // wordsA is a multiple of 4: already vec4-aligned
  const offF = round4(offX + nBlocks * l.wordsX);
  const fWords = l.hasF ? Math.ceil(nBlocks / 2) : 0;
  return { offX, offF, bytes: Math.max(16, round4(offF + fWords) * 4) };
}

/** GPU bytes per row including its share of the F section (for sizing chunks). */
export function gpuBytesPerRow(l: GpuTypeLayout, nb: number): number {
  return nb * (l.wordsA + l.wordsX) * 4 + (l.hasF ? nb * 2 : 0);
}

export interface RepackedPiece {
  a: Uint8Array;
  x: Uint8Array;
  /** F section bytes, padded to a multiple of 4 (the caller writes them at an even block index). */
  f: Uint8Array;
}

/** Splits `nBlocks` consecutive ggml blocks into the A/X/F sections. */
export function repackBlocks(l: GpuTypeLayout, src: Uint8Array, nBlocks: number): RepackedPiece {
  if (src.length < nBlocks * l.srcBytes) throw new Error(`repack: expected ${nBlocks * l.srcBytes} bytes, got ${src.length}`);
  const { type } = l;
  const verbatim = type === GGMLType.F32 || type === GGMLType.F16 || type === GGMLType.BF16 || type === GGMLType.Q4_K || type === GGMLType.Q5_K;
  if (verbatim) return { a: src.subarray(0, nBlocks * l.srcBytes), x: new Uint8Array(0), f: new Uint8Array(0) };
  const aBytes = l.wordsA * 4;
  const xBytes = l.wordsX * 4;
  const a = new Uint8Array(nBlocks * aBytes);
  const x = new Uint8Array(nBlocks * xBytes);
  const f = new Uint8Array(l.hasF ? Math.ceil(nBlocks / 2) * 4 : 0);
  for (let g = 0; g < nBlocks; g++) {
    const s = g * l.srcBytes;
    switch (type) {
      case GGMLType.Q8_0:
      case GGMLType.Q4_0:
        f[2 * g] = src[s];
        f[2 * g + 1] = src[s + 1];
        a.set(src.subarray(s + 2, s + l.srcBytes), g * aBytes);
        break;
      case GGMLType.Q4_1:
        x.set(src.subarray(s, s + 4), g * xBytes);
        a.set(src.subarray(s + 4, s + 20), g * aBytes);
        break;
      case GGMLType.Q5_0:
        f[2 * g] = src[s];
        f[2 * g + 1] = src[s + 1];
        x.set(src.subarray(s + 2, s + 6), g * xBytes);
        a.set(src.subarray(s + 6, s + 22), g * aBytes);
        break;
      case GGMLType.Q5_1:
        x.set(src.subarray(s + 4, s + 8), g * xBytes); // qh
        x.set(src.subarray(s, s + 4), g * xBytes + 4); // d, m
        a.set(src.subarray(s + 8, s + 24), g * aBytes);
        break;
      case GGMLType.Q6_K:
        a.set(src.subarray(s, s + 208), g * aBytes);
        f[2 * g] = src[s + 208];
        f[2 * g + 1] = src[s + 209];
        break;
      default:
        throw new Error(`repack: unhandled ${typeName(type)}`);
    }
  }
  return { a, x, f };
}
