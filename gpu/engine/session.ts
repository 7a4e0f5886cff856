// Everything one loaded model holds on one GPU device: weights, attention (KV cache), activations,
// sampler. A session is created by loadSession and dies with its device; Model (model.ts) replaces a
// lost session by loading a new one.
import { openDevice, type GpuContext } from '../device/gpu-device';
import { createAttention } from '../attention/index';
import type { AttentionModule } from '../attention/types';
import type { GGUFFile } from '../gguf/types';
import type { ModelConfig } from '../model/types';
import { GpuSampler } from '../sampling/gpu-sampler';
import { Forward } from './forward';
import { planMemory, type MemoryPlan } from './memory';
import { kvTypeProblem, type KvCacheType } from '../attention/kv-layout';
import { totalTensorBytes, uploadWeights, type LinearOps, type ModelWeights } from './weights';
import { OutOfMemoryError, formatBytes } from './errors';
import type { LoadOptions } from './types';

export interface Session {
  ctx: GpuContext;
  /** What loading allocated (KV cache at its initial capacity); `maxContext` bounds its growth. */
  plan: MemoryPlan;
  /** The plan with the KV cache at `tokens` positions (with or without the grouped key copy). */
  planFor(tokens: number, groupedCopy: boolean): MemoryPlan;
  kvF16: boolean;
  /** Element type of the KV cache (LoadOptions.kvCacheType; f16 falls back to f32 without shader-f16). */
  kvCacheType: KvCacheType;
  weights: ModelWeights;
  attention: AttentionModule;
  forward: Forward;
  sampler: GpuSampler;
  /** Set when the device is lost (by the driver or destroy()). */
  lost: { reason: string } | null;
  destroy(): void;
}

let liveDevices = 0;
/** Devices opened by the engine and not yet destroyed (tests check that failures free everything). */
export function engineLiveDevices(): number {
  return liveDevices;
}

export async function loadSession(file: GGUFFile, config: ModelConfig, makeLinear: (ctx: GpuContext) => LinearOps, opts: LoadOptions): Promise<Session> {
  const ctx = await openDevice({ powerPreference: opts.powerPreference, disableFeatures: opts.disableF16 ? ['shader-f16'] : [] });
  const linear = makeLinear(ctx);
  liveDevices++;
  let destroyed = false;
  const destroyDevice = (): void => {
    if (destroyed) return;
    destroyed = true;
    liveDevices--;
    ctx.device.destroy();
  };
  const lostState: { value: { reason: string } | null } = { value: null };
  void ctx.lost.then((info) => {
    lostState.value = { reason: info.message || info.reason || 'unknown' };
    if (!destroyed) {
      destroyed = true;
      liveDevices--;
    }
  });
  try {
    const f16 = ctx.info.features.shaderF16 && !opts.disableF16;
    const asked = opts.kvCacheType ?? 'f16';
    const kvCacheType: KvCacheType = asked === 'f16' && !f16 ? 'f32' : asked;
    const kvF16 = kvCacheType === 'f16';
    const kvProblem = kvTypeProblem(config.headDim, kvCacheType);
    if (kvProblem) throw new Error(`Cannot load ${config.name || 'the model'}: ${kvProblem}.`);
    const planInput = {
      config,
      weightsBytes: totalTensorBytes(file),
      info: ctx.info,
      kvCacheType,
      maxContext: opts.maxContext,
      chunk: opts.prefillChunk ?? 512,
    };
    const plan = planMemory({ ...planInput, budget: opts.memoryBudgetBytes });
    const planFor = (tokens: number, groupedCopy: boolean): MemoryPlan => planMemory({ ...planInput, contextTokens: tokens, groupedCopy });
    // Out-of-memory anywhere in the allocations below surfaces here, not as a silent invalid buffer.
    ctx.device.pushErrorScope('out-of-memory');
    let weights: ModelWeights | undefined;
    let attention: AttentionModule | undefined;
    let forward: Forward | undefined;
    let sampler: GpuSampler | undefined;
    let scopeOpen = true;
    try {
      weights = await uploadWeights(ctx, file, config, linear, {
        onProgress: (done, total, tensor) => opts.onProgress?.({ bytesDone: done, bytesTotal: total, tensor }),
        signal: opts.signal,
      });
      attention = createAttention(
        ctx,
        {
          nLayers: config.nLayers,
          nHeads: config.nHeads,
          nKvHeads: config.nKvHeads,
          headDim: config.headDim,
          rope: config.rope,
          capacity: plan.contextTokens,
          trainedContext: config.contextLength,
        },
        { kvCacheType },
      );
      forward = new Forward(ctx, config, weights, attention, linear, plan.chunk, plan.logitsRows);
      sampler = new GpuSampler(ctx.device, config.vocabSize);
      scopeOpen = false;
      const oom = await ctx.device.popErrorScope();
      if (oom) {
        throw new OutOfMemoryError(
          `The GPU ran out of memory while loading (${oom.message}). The model needs about ${formatBytes(plan.totalBytes)} ` +
            `(weights ${formatBytes(plan.weightsBytes)}, KV cache ${formatBytes(plan.kvBytes)} for ${plan.contextTokens} tokens, ` +
            `activations ${formatBytes(plan.activationBytes)}). Try a smaller quantization or a smaller model, and close other GPU-heavy programs.`,
        );
      }
      const actual = weights.bytes + attention.memoryBytes + plan.activationBytes;
      if (opts.memoryBudgetBytes !== undefined && actual > opts.memoryBudgetBytes) {
        throw new OutOfMemoryError(
          `Not enough GPU memory: the loaded model holds ${formatBytes(actual)} but the memory budget is ${formatBytes(opts.memoryBudgetBytes)}. ` +
            `Try a smaller quantization or a smaller model.`,
        );
      }
    } catch (e) {
      if (scopeOpen) await ctx.device.popErrorScope().catch(() => null);
      sampler?.destroy();
      forward?.destroy();
      attention?.dispose();
      weights?.destroy();
      throw e;
    }
    const s: Session = {
      ctx,
      plan,
      planFor,
      kvF16,
      kvCacheType,
      weights,
      attention,
      forward,
      sampler,
      get lost() {
        return lostState.value;
      },
      destroy() {
        s.sampler.destroy();
        s.forward.destroy();
        s.attention.dispose();
        s.weights.destroy();
        destroyDevice();
      },
    };
    return s;
  } catch (e) {
    destroyDevice();
    throw e;
  }
}
