// Public API of the inference engine, used by the CLI and the extension. Implemented in gpu/engine/.
import type { DeviceInfo, PowerPreference } from '../device/gpu-device';
import type { ModelConfig } from '../model/types';
import type { Tokenizer, ChatMessage } from '../tokenizer/types';
import type { SelfExtendParams } from '../attention/types';
import type { KvCacheType } from '../attention/kv-layout';

export interface LoadProgress {
  bytesDone: number;
  bytesTotal: number;
  tensor?: string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  powerPreference?: PowerPreference;
  /** KV-cache capacity in tokens; default min(model context * 8, 32768) bounded by memory. */
  maxContext?: number;
  /** Force f32 KV cache / kernels even when shader-f16 exists. */
  disableF16?: boolean;
  /**
   * Element type of the KV cache: 'f16' (default; f32 on devices without shader-f16 or with disableF16),
   * 'q8_0' (32-value blocks with an f16 scale: about half the f16 memory, read directly by the attention
   * kernels; head dim a multiple of 32) or 'f32' (tests).
   */
  kvCacheType?: KvCacheType;
  /** Default prefill chunk size in tokens (default 512). */
  prefillChunk?: number;
  /**
   * SelfExtend key copies: 'two' (pre-rotated grouped copy: fastest), 'one' (memory-lean: keys rotated
   * to ⌊j/G⌋ in the attention kernel, 2/3 of the KV memory), 'auto' (default: two, one when two do not fit).
   */
  kvKeyCopies?: 'auto' | 'two' | 'one';
  /** Artificial GPU memory budget in bytes (tests use it to exercise out-of-memory handling). */
  memoryBudgetBytes?: number;
}

export interface SamplingOptions {
  /** 0 or greedy:true selects argmax. */
  temperature?: number;
  greedy?: boolean;
  topK?: number;
  topP?: number;
  repeatPenalty?: number;
  /** How many recent tokens the repetition penalty looks at (default 64). */
  repeatLastN?: number;
  seed?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxTokens?: number;
  stop?: string[];
  signal?: AbortSignal;
  /** Prepend BOS when the model asks for one and the input does not start with it (default true). */
  addBos?: boolean;
  prefillChunk?: number;
  /** SelfExtend parameters for this request; omitted or groupSize 1 = plain attention. */
  selfExtend?: SelfExtendParams;
  /** Reuse the KV cache for the longest shared prefix with the previous request (default true). */
  reuseCache?: boolean;
  onPrefillProgress?: (done: number, total: number) => void;
}

export type FinishReason = 'length' | 'stop-token' | 'stop-string' | 'aborted' | 'context-full';

export interface GenerateChunk {
  /** Newly completed text (UTF-8 safe). */
  text: string;
  /** Token ids generated in this step (usually one). */
  ids: number[];
  promptTokens: number;
  /** Prompt tokens served from the KV cache instead of being recomputed. */
  cachedTokens: number;
  generatedTokens: number;
  /** Set on the final chunk. */
  finishReason?: FinishReason;
  timings: { prefillMs: number; ttftMs: number; decodeMs: number; prefillTps: number; decodeTps: number };
}

export interface TopLogit {
  id: number;
  logit: number;
}

export interface Model {
  readonly path: string;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly device: DeviceInfo;
  /** KV-cache capacity in tokens. */
  readonly maxContext: number;
  generate(input: string | readonly number[], opts?: GenerateOptions): AsyncGenerator<GenerateChunk, void, undefined>;
  /** Teacher-forced logits for every position (full rows); `opts.selfExtend` as for generate. */
  logits(ids: readonly number[], opts?: { selfExtend?: SelfExtendParams; prefillChunk?: number }): Promise<Float32Array[]>;
  /** Renders the model's chat template (special tokens parsed only in template text) and tokenizes. */
  encodeChat(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): number[];
  /** Tokens currently in the KV cache (for prefix reuse). */
  cachedTokens(): readonly number[];
  clearCache(): void;
  dispose(): void;
}

export interface EngineApi {
  load(path: string, opts?: LoadOptions): Promise<Model>;
}
