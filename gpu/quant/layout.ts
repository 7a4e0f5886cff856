// Block-layout facts shared by quantize/dequantize (mirrors ggml-common.h).
import { GGMLType, GGML_BLOCK } from '../gguf/types';

export const QK_K = 256;

export function typeName(type: GGMLType): string {
  return GGMLType[type] ?? `type ${String(type)}`;
}

/** Bytes needed to store `nElements` values of `type` (nElements must be a whole number of blocks). */
export function byteSize(type: GGMLType, nElements: number): number {
  const b = GGML_BLOCK[type];
  if (!b) throw new Error(`Unsupported tensor type ${String(type)}`);
  if (nElements % b.blockSize !== 0) {
    throw new Error(`${typeName(type)} stores values in blocks of ${b.blockSize}; ${nElements} is not a multiple of it`);
  }
  return (nElements / b.blockSize) * b.typeSize;
}

export function checkLength(type: GGMLType, bytes: Uint8Array, nElements: number): void {
  const need = byteSize(type, nElements);
  if (bytes.length < need) {
    throw new Error(`${typeName(type)}: ${nElements} values need ${need} bytes, got ${bytes.length}`);
  }
}

/** ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes. */
export function getScaleMinK4(j: number, q: Uint8Array): [number, number] {
  if (j < 4) return [q[j] & 63, q[j + 4] & 63];
  return [(q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)];
}
