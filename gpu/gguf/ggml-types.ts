// Names and block geometry of every ggml tensor type id, including the ones we cannot compute with,
// so the reader can size and bounds-check any tensor and `inspect` can name what a file holds.
import { GGMLType, GGML_BLOCK } from './types';

export interface GGMLTypeTraits {
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
}

// From ggml's type_traits table (ids 4, 5, 31-33 and 36-38 were removed from ggml and stay unknown).
const TRAITS: Readonly<Record<number, GGMLTypeTraits>> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4 },
  1: { name: 'F16', blockSize: 1, typeSize: 2 },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 18 },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 20 },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 22 },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 24 },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 34 },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 36 },
  10: { name: 'Q2_K', blockSize: 256, typeSize: 84 },
  11: { name: 'Q3_K', blockSize: 256, typeSize: 110 },
  12: { name: 'Q4_K', blockSize: 256, typeSize: 144 },
  13: { name: 'Q5_K', blockSize: 256, typeSize: 176 },
  14: { name: 'Q6_K', blockSize: 256, typeSize: 210 },
  15: { name: 'Q8_K', blockSize: 256, typeSize: 292 },
  16: { name: 'IQ2_XXS', blockSize: 256, typeSize: 66 },
  17: { name: 'IQ2_XS', blockSize: 256, typeSize: 74 },
  18: { name: 'IQ3_XXS', blockSize: 256, typeSize: 98 },
  19: { name: 'IQ1_S', blockSize: 256, typeSize: 50 },
  20: { name: 'IQ4_NL', blockSize: 32, typeSize: 18 },
  21: { name: 'IQ3_S', blockSize: 256, typeSize: 110 },
  22: { name: 'IQ2_S', blockSize: 256, typeSize: 82 },
  23: { name: 'IQ4_XS', blockSize: 256, typeSize: 136 },
  24: { name: 'I8', blockSize: 1, typeSize: 1 },
  25: { name: 'I16', blockSize: 1, typeSize: 2 },
  26: { name: 'I32', blockSize: 1, typeSize: 4 },
  27: { name: 'I64', blockSize: 1, typeSize: 8 },
  28: { name: 'F64', blockSize: 1, typeSize: 8 },
  29: { name: 'IQ1_M', blockSize: 256, typeSize: 56 },
  30: { name: 'BF16', blockSize: 1, typeSize: 2 },
  34: { name: 'TQ1_0', blockSize: 256, typeSize: 54 },
  35: { name: 'TQ2_0', blockSize: 256, typeSize: 66 },
  39: { name: 'MXFP4', blockSize: 32, typeSize: 17 },
};

/** The tensor types the engine computes with (issue 2, criterion 7). */
export const SUPPORTED_TYPES: readonly GGMLType[] = [
  GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K,
];

export function ggmlTypeTraits(id: number): GGMLTypeTraits | undefined {
  return Object.prototype.hasOwnProperty.call(TRAITS, id) ? TRAITS[id] : undefined;
}

/** "Q4_K" for known ids, "type 99" otherwise. */
export function ggmlTypeName(id: number): string {
  return ggmlTypeTraits(id)?.name ?? `unknown type ${id}`;
}

export function isSupportedType(id: number): id is GGMLType {
  return (SUPPORTED_TYPES as readonly number[]).includes(id);
}

// Keep the shared table and ours in step: a mismatch would size tensors differently in two places.
for (const t of SUPPORTED_TYPES) {
  const a = GGML_BLOCK[t];
  const b = TRAITS[t];
  if (!b || a.blockSize !== b.blockSize || a.typeSize !== b.typeSize) throw new Error(`ggml type table mismatch for ${t}`);
}
