// How one KV-cache row — the keys (or values) of one (KV head, position) — is stored, per cache type.
// Kept apart from module.ts (which imports the WGSL) so the memory planner and the catalog can size a
// cache without loading kernels.
//
// f32 / f16: HD elements of that type.
// q8_0: NB = HD/B blocks of B = 32 signed 8-bit values, each block with one f16 scale d (value = d · q), as
//   in ggml's block_q8_0 but laid out for aligned u32 loads: the row is HD/4 words of quants (dimension i
//   at word i/4, byte i%4, little-endian, two's complement) followed by ⌈NB/2⌉ words of f16 scales, two
//   per word (block b at word HD/4 + b/2, low half for even b: WGSL's pack2x16float order). That is
//   HD + 4·⌈NB/2⌉ bytes per row — 53.1% of f16 at head dim 64 or 128, as ggml's 34 bytes per 32 values.
//   A head dim under 32 (the tiny test models) is one block of HD values per row (ggml cannot store it).

/** Element type of the KV cache. f32 exists for tests and devices without shader-f16 support for f16. */
export type KvCacheType = 'f32' | 'f16' | 'q8_0';

export const KV_CACHE_TYPES: readonly KvCacheType[] = ['f16', 'q8_0', 'f32'];

/** Values per q8_0 block (and the head-dimension multiple q8_0 needs). */
export const Q8_BLOCK = 32;

/** Values per q8_0 block for rows of `headDim` values: 32, or the whole row when it is shorter. */
export function q8BlockLength(headDim: number): number {
  return Math.min(Q8_BLOCK, headDim);
}

/** u32 words of one q8_0 row: quants, then the f16 block scales two per word. */
export function q8RowWords(headDim: number): number {
  return headDim / 4 + Math.ceil(headDim / q8BlockLength(headDim) / 2);
}

/** Bytes of one cache row (one KV head at one position) of `headDim` values. */
export function kvRowBytes(headDim: number, type: KvCacheType): number {
  if (type === 'q8_0') return 4 * q8RowWords(headDim);
  return headDim * (type === 'f16' ? 2 : 4);
}

/** Why `type` cannot store rows of `headDim` values, or null when it can. */
export function kvTypeProblem(headDim: number, type: KvCacheType): string | null {
  if (type === 'q8_0' && (headDim % 4 !== 0 || (headDim > Q8_BLOCK && headDim % Q8_BLOCK !== 0))) {
    return `a q8_0 KV cache needs a head dimension that is a multiple of ${Q8_BLOCK} (this model's is ${headDim}); use selfextend.kvCacheType f16`;
  }
  return null;
}

/** Parses a user-supplied KV cache type (setting or CLI flag) with an actionable error. */
export function parseKvCacheType(value: string, source: string): KvCacheType {
  if ((KV_CACHE_TYPES as readonly string[]).includes(value)) return value as KvCacheType;
  throw new Error(`${source} must be one of ${KV_CACHE_TYPES.join(', ')} (got ${JSON.stringify(value)})`);
}
