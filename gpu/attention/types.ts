// Contract between the forward pass (gpu/engine) and the attention module (gpu/attention), which owns
// RoPE for q and k, the KV cache and the attention kernels (plain and SelfExtend).
import type { GpuContext } from '../device/gpu-device';
import type { RopeConfig } from '../model/types';
import type { KvCacheType } from './kv-layout';

/** groupSize 1 means plain attention. neighborWindow W must be a multiple of groupSize. */
export interface SelfExtendParams {
  groupSize: number;
  neighborWindow: number;
}

export interface AttentionShape {
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  rope: RopeConfig;
  /** Initial KV-cache capacity in tokens (positions 0 .. capacity-1); `reserve` changes it later. */
  capacity: number;
  /** Trained context L (GGUF context_length); when given, beginBatch also checks W < L. */
  trainedContext?: number;
}

export interface AttentionOptions {
  /** Store K/V in f16 (requires shader-f16); otherwise f32. Ignored when kvCacheType is given. */
  kvF16?: boolean;
  /**
   * Element type of the KV cache: 'f16' (needs shader-f16, else f32 is used), 'q8_0' (32-value blocks
   * with an f16 scale, read directly by the kernels; head dim a multiple of 32) or 'f32'.
   */
  kvCacheType?: KvCacheType;
  /** Start in memory-lean SelfExtend mode (one key copy; see AttentionModule.leanKeys). Default false. */
  leanKeys?: boolean;
  /** Tuning of flash-decoding (split-KV) for batches of few tokens; defaults suit the device. */
  splitKv?: SplitKvOptions;
}

export interface SplitKvOptions {
  /** Batches with more tokens than this never split the KV range (default 16). */
  maxTokens?: number;
  /** Fewest keys one split handles (default 64). */
  minKeysPerSplit?: number;
  /** Most splits (default 32). */
  maxSplits?: number;
  /** Aim for about this many workgroups in total (default 128 on hardware, 16 on software adapters). */
  targetWorkgroups?: number;
}

/** One layer's worth of a batch of consecutive tokens at positions startPos .. startPos+nTokens-1. */
export interface AttentionBatch {
  layer: number;
  startPos: number;
  nTokens: number;
  /** [nTokens, nHeads*headDim] f32, not yet rotated (after bias / q-norm). */
  q: GPUBuffer;
  /** [nTokens, nKvHeads*headDim] f32, not yet rotated. */
  k: GPUBuffer;
  /** [nTokens, nKvHeads*headDim] f32. */
  v: GPUBuffer;
  /** Receives [nTokens, nHeads*headDim] f32 attention output (before the output projection). */
  out: GPUBuffer;
}

export interface AttentionModule {
  readonly shape: AttentionShape;
  /** Element type the KV cache is stored in. */
  readonly kvCacheType: KvCacheType;
  /** Bytes of GPU memory held now by the KV cache, its extra key copy, RoPE table and fixed buffers. */
  readonly memoryBytes: number;
  /** Positions the KV cache holds now. */
  readonly capacity: number;
  /**
   * Memory-lean SelfExtend: requests with G > 1 keep one key copy and the kernel rotates keys from j to
   * ⌊j/G⌋ on the fly (2/3 of the two-copy KV memory). Switchable between batches.
   */
  leanKeys: boolean;
  /** Whether the grouped key copy (SelfExtend's second rotation) is allocated. */
  readonly hasGroupedCopy: boolean;
  /**
   * Resizes the cache to `capacity` positions (grow-and-copy, or shrink), keeping the cached prefix
   * that fits, with or without the grouped key copy. Resolves false on out-of-memory, leaving the cache
   * as it was. Call only when no recorded batch is waiting to be submitted.
   */
  reserve(capacity: number, grouped: boolean): Promise<boolean>;
  /**
   * Must be called once per batch before encoding its layers: validates the params and uploads the
   * per-batch uniforms (positions, G, W). Throws a clear error for invalid G/W.
   */
  beginBatch(startPos: number, nTokens: number, se: SelfExtendParams): void;
  /**
   * Records: rotate q/k, store k/v into the cache at startPos.., attend over 0..startPos+nTokens-1.
   * Given a compute pass, the dispatches go into it (the engine records a whole forward in one pass);
   * given a command encoder, the layer gets a pass of its own.
   */
  encodeLayer(encoder: GPUCommandEncoder | GPUComputePassEncoder, batch: AttentionBatch): void;
  /**
   * True when cached positions < length are still valid for `se` (e.g. the strategy keeps keys rotated
   * for a specific G and a different G needs a re-rotation or a recompute).
   */
  canReuse(length: number, se: SelfExtendParams): boolean;
  dispose(): void;
}

export type CreateAttention = (ctx: GpuContext, shape: AttentionShape, opts: AttentionOptions) => AttentionModule;
