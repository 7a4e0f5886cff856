// Memory planning before anything is allocated: weights + KV cache + activations must fit the budget
// (LoadOptions.memoryBudgetBytes) and every buffer must fit the device's buffer limits.
import type { DeviceInfo } from '../device/gpu-device';
import type { ModelConfig } from '../model/types';
import { OutOfMemoryError, formatBytes } from './errors';
import { GpuSampler } from '../sampling/gpu-sampler';

export interface MemoryPlan {
  weightsBytes: number;
  kvBytes: number;
  activationBytes: number;
  totalBytes: number;
  maxContext: number;
  /** Tokens per prefill chunk (activation buffers are sized for it). */
  chunk: number;
  /** Logit rows one `logits()` pass computes (bounded so the logits buffer stays small). */
  logitsRows: number;
}

export interface PlanInput {
  config: ModelConfig;
  weightsBytes: number;
  info: DeviceInfo;
  kvF16: boolean;
  maxContext?: number;
  chunk: number;
  budget?: number;
}

/** K is kept twice (own-position and grouped rotations, see gpu/attention/module.ts) plus V. */
const KV_COPIES = 3;
const LOGITS_BUFFER_TARGET = 64 * 2 ** 20;

/** KV cache plus the attention module's RoPE table (sin/cos per position) per token of context. */
export function kvBytesPerToken(c: ModelConfig, kvF16: boolean): number {
  return KV_COPIES * c.nLayers * c.nKvHeads * c.headDim * (kvF16 ? 2 : 4) + c.headDim * 4;
}

/** Fixed attention buffers: uniform ring and flash-decoding partials (gpu/attention/module.ts defaults). */
function attentionFixedBytes(c: ModelConfig): number {
  return 256 * 256 + 32 * 16 * c.nHeads * (c.headDim + 4) * 4;
}

/** f32 activations per token for the forward pass (see Forward's buffers). */
function activationBytesPerToken(c: ModelConfig): number {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  return 4 * (3 * c.embeddingDim + 3 * q + 4 * kv + 2 * c.ffnDim + 1);
}

export function planMemory(p: PlanInput): MemoryPlan {
  const c = p.config;
  const lim = p.info.limits;
  const maxBinding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
  const widest = Math.max(c.ffnDim, c.nHeads * c.headDim, c.embeddingDim) * 4;
  const chunk = Math.max(1, Math.min(p.chunk, Math.floor(maxBinding / widest)));
  const logitsRows = Math.max(1, Math.min(chunk, Math.floor(Math.min(maxBinding, LOGITS_BUFFER_TARGET) / (c.vocabSize * 4))));
  const activationBytes = chunk * activationBytesPerToken(c) + logitsRows * c.vocabSize * 4 + GpuSampler.memoryBytes(c.vocabSize) + 4 * 2 ** 20;
  const perToken = kvBytesPerToken(c, p.kvF16);
  const perLayerToken = c.nKvHeads * c.headDim * (p.kvF16 ? 2 : 4);
  const limitByBuffer = Math.floor(maxBinding / perLayerToken);
  const advice = 'Try a smaller quantization (e.g. Q4_K_M instead of Q8_0), a smaller model, or a shorter context (maxContext).';

  let maxContext: number;
  if (p.maxContext !== undefined) {
    if (!Number.isInteger(p.maxContext) || p.maxContext < 1) throw new Error(`maxContext must be a positive integer, got ${p.maxContext}`);
    maxContext = p.maxContext;
    if (maxContext > limitByBuffer) {
      throw new OutOfMemoryError(
        `A KV cache of ${maxContext} tokens needs ${formatBytes(maxContext * perLayerToken)} per layer buffer, more than this GPU's ` +
          `${formatBytes(maxBinding)} buffer limit (at most ${limitByBuffer} tokens). Use a shorter context (maxContext).`,
      );
    }
  } else {
    maxContext = Math.min(c.contextLength * 8, 32768, limitByBuffer);
    if (p.budget !== undefined) {
      // Shrink the default context to what the budget leaves after weights and activations.
      const room = Math.floor((p.budget - p.weightsBytes - activationBytes - attentionFixedBytes(c)) / perToken);
      maxContext = Math.max(Math.min(maxContext, room), Math.min(256, c.contextLength));
    }
  }
  // kvBytes covers everything the attention module allocates (cache, RoPE table, fixed buffers).
  const kvBytes = maxContext * perToken + attentionFixedBytes(c);
  const totalBytes = p.weightsBytes + kvBytes + activationBytes;
  if (p.budget !== undefined && totalBytes > p.budget) {
    throw new OutOfMemoryError(
      `Not enough GPU memory: this model needs ${formatBytes(totalBytes)} (weights ${formatBytes(p.weightsBytes)}, ` +
        `KV cache ${formatBytes(kvBytes)} for ${maxContext} tokens, activations ${formatBytes(activationBytes)}) ` +
        `but the memory budget is ${formatBytes(p.budget)}. ${advice}`,
    );
  }
  return { weightsBytes: p.weightsBytes, kvBytes, activationBytes, totalBytes, maxContext, chunk, logitsRows };
}
