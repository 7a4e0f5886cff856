// Compute pipelines for the attention kernels, specialised per (head shape, rope layout, KV type) and
// created once per device: modules sharing a device and a shape share pipelines.
import storeSrc from './store.wgsl';
import attendSrc from './attend.wgsl';
import reduceSrc from './reduce.wgsl';
import regroupSrc from './regroup.wgsl';
import { headDimProblem, MAX_HEAD_DIM } from './params';

/**
 * What a compiled pipeline depends on. Head counts, rope dim and layout are uniforms (struct Params),
 * so models and tests with different shapes share pipelines: each variant costs seconds to compile on
 * lavapipe.
 */
export interface KernelConfig {
  headDim: number;
  kvF16: boolean;
}

/** Rows ((token, head) pairs of one KV head) per attention workgroup, and keys per tile. */
export const ROWS_PER_WG = 8;
export const KEYS_PER_TILE = 32;
/** Workgroup memory (2·R·HD + R·HD floats + scores) stays under WebGPU's 16 KiB default at HD = 128. */
export { MAX_HEAD_DIM };
/** Bytes of struct Params in the WGSL. */
export const PARAM_BYTES = 64;

export interface AttentionPipelines {
  store: GPUComputePipeline;
  attend: GPUComputePipeline;
  reduce: GPUComputePipeline;
  regroup: GPUComputePipeline;
  storeLayout: GPUBindGroupLayout;
  attendLayout: GPUBindGroupLayout;
  reduceLayout: GPUBindGroupLayout;
  regroupLayout: GPUBindGroupLayout;
}

const cache = new WeakMap<GPUDevice, Map<string, AttentionPipelines>>();

/** Replaces `$NAME` placeholders (upper-case names) in WGSL source; throws on any left unresolved. */
export function specialize(src: string, values: Record<string, string | number | boolean>): string {
  const out = src.replace(/\$([A-Z][A-Z0-9_]*)/g, (m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`WGSL placeholder ${m} has no value`);
    return String(v);
  });
  return out;
}

function f32Literal(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function layout(device: GPUDevice, label: string, kinds: Array<'uniform' | 'read' | 'rw'>): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: kinds.map((k, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer:
        k === 'uniform'
          ? { type: 'uniform' as const, hasDynamicOffset: true }
          : { type: k === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
    })),
  });
}

function pipeline(device: GPUDevice, label: string, code: string, bgl: GPUBindGroupLayout): GPUComputePipeline {
  return device.createComputePipeline({
    label,
    layout: device.createPipelineLayout({ bindGroupLayouts: [bgl] }),
    compute: { module: device.createShaderModule({ label, code }), entryPoint: 'main' },
  });
}

export function getPipelines(device: GPUDevice, cfg: KernelConfig): AttentionPipelines {
  let perDevice = cache.get(device);
  if (!perDevice) cache.set(device, (perDevice = new Map()));
  const key = JSON.stringify(cfg);
  const hit = perDevice.get(key);
  if (hit) return hit;

  const bad = headDimProblem(cfg.headDim);
  if (bad) throw new Error(bad);
  const values = {
    ENABLE_F16: cfg.kvF16 ? 'enable f16;' : '',
    KT: cfg.kvF16 ? 'f16' : 'f32',
    HD: cfg.headDim,
    SCALE: f32Literal(1 / Math.sqrt(cfg.headDim)),
    R: ROWS_PER_WG,
    BK: KEYS_PER_TILE,
  };
  const storeLayout = layout(device, 'attn-store', ['uniform', 'read', 'read', 'rw', 'rw', 'read', 'rw']);
  const attendLayout = layout(device, 'attn-attend', ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw', 'read']);
  const reduceLayout = layout(device, 'attn-reduce', ['uniform', 'read', 'rw']);
  const regroupLayout = layout(device, 'attn-regroup', ['uniform', 'read', 'read', 'rw']);
  const p: AttentionPipelines = {
    store: pipeline(device, 'attn-store', specialize(storeSrc, values), storeLayout),
    attend: pipeline(device, 'attn-attend', specialize(attendSrc, values), attendLayout),
    reduce: pipeline(device, 'attn-reduce', specialize(reduceSrc, values), reduceLayout),
    regroup: pipeline(device, 'attn-regroup', specialize(regroupSrc, values), regroupLayout),
    storeLayout,
    attendLayout,
    reduceLayout,
    regroupLayout,
  };
  perDevice.set(key, p);
  return p;
}
