// What the engine needs to know about a model, derived from GGUF metadata by gpu/model/config.ts.

export type Architecture = 'llama' | 'qwen2' | 'qwen3';
/** `adjacent`: pairs (2i, 2i+1) rotate together (GGUF llama). `neox`: pairs (i, i + d/2) (qwen2/qwen3). */
export type RopeLayout = 'adjacent' | 'neox';

export interface RopeConfig {
  layout: RopeLayout;
  base: number;
  /** Rotated dimensions per head (== headDim for all supported architectures). */
  dim: number;
  /** llama3-style per-frequency divisors from the `rope_freqs.weight` tensor (length dim/2), or null. */
  freqFactors: Float32Array | null;
  /** Linear position scaling (rope.scaling.type = linear): positions are multiplied by this factor. */
  linearScale: number;
  /** Name of the scaling type in the file (none, linear, yarn, llama3 ...), for display. */
  scalingType: string;
}

export interface ModelConfig {
  architecture: Architecture;
  name: string;
  vocabSize: number;
  embeddingDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ffnDim: number;
  /** Trained context window L. */
  contextLength: number;
  normEps: number;
  rope: RopeConfig;
  /** True when there is no output.weight and logits use token_embd.weight. */
  tiedEmbeddings: boolean;
  /** qwen2: q/k/v projections have biases. */
  qkvBias: boolean;
  /** qwen3: per-head RMSNorm on q and k (attn_q_norm / attn_k_norm). */
  qkNorm: boolean;
  /** Count of parameters and tensor types present, for display. */
  nParams: number;
  tensorTypes: Record<string, number>;
  hasChatTemplate: boolean;
}
