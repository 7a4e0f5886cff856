// Memory planning before anything is allocated: every GPU buffer the engine creates, its size, its
// largest single binding (against maxStorageBufferBindingSize) and the setting that shrinks it.
//
// The KV cache is NOT sized at load: the model allocates it for the window a request needs and grows it
// (grow-and-copy, gpu/attention/module.ts `reserve`) when a later request needs more. The plan therefore
// has two parts: what loading allocates (weights, activations, logits, sampler, a small initial cache)
// and the KV cache for a given number of tokens, with SelfExtend's grouped key copy only for requests
// that use G > 1. `maxContext` is the most the cache may grow to on this device (binding limit, budget).
import type { DeviceInfo } from '../device/gpu-device';
import type { ModelConfig } from '../model/types';
import { OutOfMemoryError, formatBytes } from './errors';
import { GpuSampler } from '../sampling/gpu-sampler';
import { reachableContext, defaultWindow } from '../attention/params';
import { kvRowBytes, type KvCacheType } from '../attention/kv-layout';

/**
 * The KV cache's element type: a KvCacheType, or (as before q8_0 existed) a boolean meaning f16 (true)
 * or f32 (false).
 */
export type KvTypeArg = KvCacheType | boolean;

/** The KvCacheType of a KvTypeArg. */
export function kvTypeOf(kv: KvTypeArg): KvCacheType {
  return typeof kv === 'boolean' ? (kv ? 'f16' : 'f32') : kv;
}

/** One kind of GPU buffer in the plan. */
export interface PlannedBuffer {
  name: string;
  bytes: number;
  /** The largest single buffer of this kind (each must fit maxStorageBufferBindingSize). */
  largestBinding: number;
  /** The setting (extension / CLI) that shrinks it. */
  shrink: string;
}

export interface MemoryPlan {
  weightsBytes: number;
  /** KV cache (both key copies when groupedCopy, values, RoPE table, attention scratch) for contextTokens. */
  kvBytes: number;
  /** Activations, logits, sampler scratch and uniforms. */
  activationBytes: number;
  totalBytes: number;
  /** KV positions kvBytes is computed for. */
  contextTokens: number;
  /** Whether kvBytes includes SelfExtend's grouped key copy. */
  groupedCopy: boolean;
  /** The most tokens the KV cache may grow to on this device (binding limit, memory budget, maxContext). */
  maxContext: number;
  /** Tokens per prefill chunk (activation buffers are sized for it). */
  chunk: number;
  /** Logit rows one `logits()` pass computes (bounded so the logits buffer stays small). */
  logitsRows: number;
  /** Whether the KV cache is f16 (kvCacheType === 'f16'). */
  kvF16: boolean;
  /** Element type of the KV cache the plan is for. */
  kvCacheType: KvCacheType;
  /** Every buffer kind, largest first. */
  buffers: PlannedBuffer[];
  /** The largest single binding of the plan and the device's limit for it. */
  largestBinding: { name: string; bytes: number; limit: number };
}

export interface PlanInput {
  config: ModelConfig;
  weightsBytes: number;
  /** Largest single weight buffer (weights are split over bindings; default: no weight over the limit). */
  largestWeightBinding?: number;
  info: Pick<DeviceInfo, 'limits'>;
  /** f16 (true) or f32 (false) KV; ignored when kvCacheType is given. */
  kvF16?: boolean;
  /** Element type of the KV cache (default: f16 when kvF16, else f32). */
  kvCacheType?: KvCacheType;
  /** Upper bound on KV-cache positions (LoadOptions.maxContext). */
  maxContext?: number;
  chunk: number;
  budget?: number;
  /** KV positions to plan for (default: the initial cache a load allocates). */
  contextTokens?: number;
  /** Plan SelfExtend's grouped key copy (a request with G > 1). Default false. */
  groupedCopy?: boolean;
}

/** KV positions allocated at load; the first request resizes the cache to what it needs. */
export const INITIAL_KV_TOKENS = 256;
/** KV capacities are multiples of this (fewer reallocations for requests of similar size). */
export const KV_PAGE_TOKENS = 256;
/** Default ceiling of the cache when nothing else bounds it (the settings' largest target). */
export const MAX_KV_TOKENS = 1 << 20;
const LOGITS_BUFFER_TARGET = 64 * 2 ** 20;
/** UniformArena and small per-kernel uniforms (gpu/kernels/common.ts). */
const UNIFORM_BYTES = 4 * 2 ** 20;

export const SHRINK = {
  weights: 'a smaller model or quantization (selfextend.modelPath; e.g. Q4_K_M instead of Q8_0)',
  kv: 'a shorter context (selfextend.targetContext; CLI --target / --max-context) or a q8_0 KV cache (selfextend.kvCacheType; CLI --kv-cache-type), about half of f16',
  grouped: 'a target within the trained window (no SelfExtend, one key copy): selfextend.targetContext',
  activations: 'a smaller prefill chunk (CLI --chunk; LoadOptions.prefillChunk)',
  fixed: 'nothing (fixed size)',
} as const;

/** Bytes of one key copy (or of V) of one layer per token: the size that must fit one binding. */
export function kvLayerBytesPerToken(c: ModelConfig, kv: KvTypeArg): number {
  return c.nKvHeads * kvRowBytes(c.headDim, kvTypeOf(kv));
}

/** KV cache plus the RoPE table (cos/sin per position) per token: two K copies + V with SelfExtend, else K + V. */
export function kvBytesPerToken(c: ModelConfig, kv: KvTypeArg, groupedCopy = true): number {
  const ropeDim = c.rope.dim > 0 ? c.rope.dim : c.headDim;
  return (groupedCopy ? 3 : 2) * c.nLayers * kvLayerBytesPerToken(c, kv) + (ropeDim / 2) * 8;
}

/** Fixed attention buffers: uniform ring and flash-decoding partials (gpu/attention/module.ts defaults). */
export function attentionFixedBytes(c: ModelConfig): number {
  return 256 * 256 + 32 * 16 * c.nHeads * (c.headDim + 4) * 4 + 16;
}

/** KV-cache bytes for `tokens` positions (what the attention module holds at that capacity). */
export function kvCacheBytes(c: ModelConfig, tokens: number, kv: KvTypeArg, groupedCopy: boolean): number {
  return tokens * kvBytesPerToken(c, kv, groupedCopy) + attentionFixedBytes(c);
}

/** f32 activations per token for the forward pass (see Forward's buffers). */
function activationBytesPerToken(c: ModelConfig): number {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  return 4 * (3 * c.embeddingDim + 3 * q + 4 * kv + 2 * c.ffnDim + 1);
}

/** The capacity to allocate for a request needing `need` positions when `current` are allocated. */
export function kvCapacityFor(need: number, current: number, ceiling: number): number {
  if (need <= current) return current;
  return Math.min(ceiling, Math.ceil(need / KV_PAGE_TOKENS) * KV_PAGE_TOKENS);
}

/** Most positions the cache may reach: SelfExtend's reach at G = 64 bounds what any request can use. */
function reachCeiling(c: ModelConfig): number {
  const L = c.contextLength;
  return reachableContext(L, { groupSize: 64, neighborWindow: defaultWindow(L, 64) });
}

export function planMemory(p: PlanInput): MemoryPlan {
  const c = p.config;
  const lim = p.info.limits;
  const maxBinding = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
  const widest = Math.max(c.ffnDim, c.nHeads * c.headDim, c.embeddingDim) * 4;
  const chunk = Math.max(1, Math.min(p.chunk, Math.floor(maxBinding / widest)));
  const logitsRows = Math.max(1, Math.min(chunk, Math.floor(Math.min(maxBinding, LOGITS_BUFFER_TARGET) / (c.vocabSize * 4))));
  const activations = chunk * activationBytesPerToken(c);
  const logits = logitsRows * c.vocabSize * 4;
  const sampler = GpuSampler.memoryBytes(c.vocabSize);
  const activationBytes = activations + logits + sampler + UNIFORM_BYTES;
  const kvType = p.kvCacheType ?? kvTypeOf(p.kvF16 ?? true);
  const perLayerToken = kvLayerBytesPerToken(c, kvType);
  const limitByBinding = Math.floor(maxBinding / perLayerToken);
  const fixedKv = attentionFixedBytes(c);

  if (p.maxContext !== undefined) {
    if (!Number.isInteger(p.maxContext) || p.maxContext < 1) throw new Error(`maxContext must be a positive integer, got ${p.maxContext}`);
    if (p.maxContext > limitByBinding) {
      throw new OutOfMemoryError(
        `A KV cache of ${p.maxContext} tokens needs ${formatBytes(p.maxContext * perLayerToken)} per layer and key copy, more than this GPU's ` +
          `${formatBytes(maxBinding)} binding limit (at most ${limitByBinding} tokens). Use ${SHRINK.kv} of at most ${limitByBinding} tokens.`,
      );
    }
  }
  let maxContext = Math.min(p.maxContext ?? MAX_KV_TOKENS, limitByBinding, p.maxContext !== undefined ? Infinity : reachCeiling(c));
  if (p.budget !== undefined && p.maxContext === undefined) {
    // The budget bounds the ceiling: plain requests (two copies) up to L, SelfExtend ones (three) beyond.
    const room = p.budget - p.weightsBytes - activationBytes - fixedKv;
    const plain = Math.floor(room / kvBytesPerToken(c, kvType, false));
    const extended = Math.floor(room / kvBytesPerToken(c, kvType, true));
    const byBudget = plain <= c.contextLength ? plain : Math.max(c.contextLength, extended);
    maxContext = Math.max(1, Math.min(maxContext, byBudget));
  }
  const groupedCopy = p.groupedCopy ?? false;
  const contextTokens = Math.max(1, Math.min(p.contextTokens ?? INITIAL_KV_TOKENS, maxContext));
  const kvBytes = kvCacheBytes(c, contextTokens, kvType, groupedCopy);
  const ropeDim = c.rope.dim > 0 ? c.rope.dim : c.headDim;
  const layerCopy = contextTokens * perLayerToken;
  const buffers: PlannedBuffer[] = [
    { name: 'weights', bytes: p.weightsBytes, largestBinding: Math.min(p.largestWeightBinding ?? 0, p.weightsBytes), shrink: SHRINK.weights },
    { name: 'KV cache: keys', bytes: c.nLayers * layerCopy, largestBinding: layerCopy, shrink: SHRINK.kv },
    { name: 'KV cache: values', bytes: c.nLayers * layerCopy, largestBinding: layerCopy, shrink: SHRINK.kv },
    ...(groupedCopy ? [{ name: 'KV cache: grouped keys (SelfExtend)', bytes: c.nLayers * layerCopy, largestBinding: layerCopy, shrink: SHRINK.grouped }] : []),
    { name: 'RoPE table', bytes: contextTokens * (ropeDim / 2) * 8, largestBinding: contextTokens * (ropeDim / 2) * 8, shrink: SHRINK.kv },
    { name: 'attention scratch', bytes: fixedKv, largestBinding: fixedKv, shrink: SHRINK.fixed },
    { name: 'activations', bytes: activations, largestBinding: chunk * widest, shrink: SHRINK.activations },
    { name: 'logits', bytes: logits, largestBinding: logits, shrink: SHRINK.fixed },
    { name: 'sampler scratch', bytes: sampler, largestBinding: c.vocabSize * 4, shrink: SHRINK.fixed },
    { name: 'uniforms', bytes: UNIFORM_BYTES, largestBinding: 256 * 256, shrink: SHRINK.fixed },
  ].sort((a, b) => b.bytes - a.bytes);
  const widestBuffer = buffers.reduce((a, b) => (b.largestBinding > a.largestBinding ? b : a));
  const totalBytes = p.weightsBytes + kvBytes + activationBytes;
  const plan: MemoryPlan = {
    weightsBytes: p.weightsBytes,
    kvBytes,
    activationBytes,
    totalBytes,
    contextTokens,
    groupedCopy,
    maxContext,
    chunk,
    logitsRows,
    kvF16: kvType === 'f16',
    kvCacheType: kvType,
    buffers,
    largestBinding: { name: widestBuffer.name, bytes: widestBuffer.largestBinding, limit: maxBinding },
  };
  if (p.budget !== undefined && totalBytes > p.budget) throw new OutOfMemoryError(outOfMemoryMessage(plan, p.budget, c));
  return plan;
}

/** Tokens of KV cache that fit `budget` next to the plan's weights and activations (0 when none). */
export function kvTokensThatFit(plan: MemoryPlan, c: ModelConfig, budget: number, groupedCopy: boolean): number {
  const room = budget - plan.weightsBytes - plan.activationBytes - attentionFixedBytes(c);
  return Math.max(0, Math.min(plan.maxContext, Math.floor(room / kvBytesPerToken(c, plan.kvCacheType, groupedCopy))));
}

/**
 * "Not enough GPU memory" naming the largest allocations and the setting that shrinks each, plus the
 * context that would fit, so that following the advice makes the next request fit.
 */
export function outOfMemoryMessage(plan: MemoryPlan, budget: number, c: ModelConfig): string {
  // The three largest, and the KV cache always: the context is what the advice below changes.
  const top = plan.buffers.filter((b, i) => b.bytes > 0 && (i < 3 || b.name.startsWith('KV cache')));
  const list = top.map((b) => `${b.name} ${formatBytes(b.bytes)} (shrink: ${b.shrink})`).join('; ');
  const fits = kvTokensThatFit(plan, c, budget, plan.groupedCopy);
  const hint =
    plan.weightsBytes + plan.activationBytes + attentionFixedBytes(c) >= budget
      ? `Weights and activations alone need ${formatBytes(plan.weightsBytes + plan.activationBytes)}: use a smaller model or quantization, or a smaller prefill chunk.`
      : fits >= 1
        ? `A context of at most ${fits} tokens fits: set selfextend.targetContext (or --target) to ${fits} or less.`
        : '';
  return (
    `Not enough GPU memory: ${formatBytes(plan.totalBytes)} needed for ${plan.contextTokens} tokens of context` +
    `${plan.groupedCopy ? ' with SelfExtend' : ''}, but the memory budget is ${formatBytes(budget)}. Largest: ${list}. ${hint}`
  ).trim();
}

/** The public shape of a model: enough to plan its memory without the file (catalog, benchmarks). */
export interface ModelLayout {
  nLayers: number;
  embeddingDim: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ffnDim: number;
  vocabSize: number;
  /** Trained context L. */
  contextLength: number;
}

/** A ModelConfig for planning only (no tensors): rope over the whole head, plain llama layout. */
export function layoutConfig(l: ModelLayout): ModelConfig {
  return {
    architecture: 'llama',
    name: 'layout',
    ...l,
    normEps: 1e-5,
    rope: { layout: 'neox', base: 10000, dim: l.headDim, freqFactors: null, linearScale: 1, scalingType: 'none' },
    tiedEmbeddings: false,
    qkvBias: false,
    qkNorm: false,
    nParams: 0,
    tensorTypes: {},
    hasChatTemplate: true,
  };
}

/** WebGPU's default binding limit (lavapipe's too): plans made without a device assume it. */
export const DEFAULT_LIMITS: Pick<DeviceInfo, 'limits'> = {
  limits: { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 } as DeviceInfo['limits'],
};

/**
 * The plan for one request of `tokens` positions (prompt + answer) at default load settings: f16 KV,
 * 512-token prefill chunks, and SelfExtend's grouped key copy when the request exceeds the trained window.
 */
export function planRequest(
  c: ModelConfig,
  weightsBytes: number,
  tokens: number,
  opts: { kvF16?: boolean; kvCacheType?: KvCacheType; info?: Pick<DeviceInfo, 'limits'>; chunk?: number } = {},
): MemoryPlan {
  return planMemory({
    config: c,
    weightsBytes,
    info: opts.info ?? DEFAULT_LIMITS,
    kvF16: opts.kvF16 ?? true,
    kvCacheType: opts.kvCacheType,
    chunk: opts.chunk ?? 512,
    contextTokens: tokens,
    groupedCopy: tokens > c.contextLength,
  });
}

/** The largest request (tokens) whose plan fits `budget` bytes, or 0 when even one token does not. */
export function largestRequestWithin(
  c: ModelConfig,
  weightsBytes: number,
  budget: number,
  opts: { kvF16?: boolean; kvCacheType?: KvCacheType; info?: Pick<DeviceInfo, 'limits'> } = {},
): number {
  let lo = 0;
  let hi = planRequest(c, weightsBytes, 1, opts).maxContext;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (planRequest(c, weightsBytes, mid, opts).totalBytes <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
