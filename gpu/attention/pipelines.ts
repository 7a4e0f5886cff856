// Compute pipelines for the attention kernels, specialised per (head shape, rope layout, KV type) and
// created once per device: modules sharing a device and a shape share pipelines.
import storeSrc from './store.wgsl';
import attendSrc from './attend.wgsl';
import reduceSrc from './reduce.wgsl';
import regroupSrc from './regroup.wgsl';
import q8Src from './q8.wgsl';
import storeQ8Src from './store-q8.wgsl';
import regroupQ8Src from './regroup-q8.wgsl';
import { kvTypeProblem, q8BlockLength, q8RowWords, type KvCacheType } from './kv-layout';
import { headDimProblem, MAX_HEAD_DIM } from './params';

/**
 * What a compiled pipeline depends on. Head counts, rope dim and layout are uniforms (struct Params),
 * so models and tests with different shapes share pipelines: each variant costs seconds to compile on
 * lavapipe.
 */
export interface KernelConfig {
  headDim: number;
  kvCacheType: KvCacheType;
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

/** attend.wgsl's KV bindings and readers for f16/f32 rows (KROW = HD4 vec4s per row). */
const KV_ACCESS_FLOAT = `alias KT = $KT;
@group(0) @binding(2) var<storage, read> kN: array<vec4<KT>>;
@group(0) @binding(3) var<storage, read> vC: array<vec4<KT>>;
@group(0) @binding(7) var<storage, read> kG: array<vec4<KT>>;
fn kN4(row: u32, d: u32) -> vec4<f32> { return vec4<f32>(kN[row + d]); }
fn kG4(row: u32, d: u32) -> vec4<f32> { return vec4<f32>(kG[row + d]); }
fn v4(row: u32, d: u32) -> vec4<f32> { return vec4<f32>(vC[row + d]); }
fn kN1(row: u32, dim: u32) -> f32 { return f32(kN[row + dim / 4u][dim % 4u]); }`;

/**
 * attend.wgsl's KV bindings and readers for q8_0 rows (kv-layout.ts; KROW u32 words per row, blocks of QB
 * values): vec4 index d is quant word d, whose block b = d/(QB/4) has its f16 scale in half b%2 of word
 * HD4 + b/2. Dequantized in registers as read.
 */
const KV_ACCESS_Q8 = `@group(0) @binding(2) var<storage, read> kN: array<u32>;
@group(0) @binding(3) var<storage, read> vC: array<u32>;
@group(0) @binding(7) var<storage, read> kG: array<u32>;
fn q8x4(w: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4<u32>(24u));
}
const QB: u32 = $QBu;
fn kN4(row: u32, d: u32) -> vec4<f32> { let b = d / (QB / 4u); return unpack2x16float(kN[row + HD4 + b / 2u])[b % 2u] * q8x4(kN[row + d]); }
fn kG4(row: u32, d: u32) -> vec4<f32> { let b = d / (QB / 4u); return unpack2x16float(kG[row + HD4 + b / 2u])[b % 2u] * q8x4(kG[row + d]); }
fn v4(row: u32, d: u32) -> vec4<f32> { let b = d / (QB / 4u); return unpack2x16float(vC[row + HD4 + b / 2u])[b % 2u] * q8x4(vC[row + d]); }
fn kN1(row: u32, dim: u32) -> f32 {
  let q = f32(bitcast<i32>(kN[row + dim / 4u] << (24u - 8u * (dim % 4u))) >> 24u);
  let b = dim / QB;
  return unpack2x16float(kN[row + HD4 + b / 2u])[b % 2u] * q;
}`;

export function getPipelines(device: GPUDevice, cfg: KernelConfig): AttentionPipelines {
  let perDevice = cache.get(device);
  if (!perDevice) cache.set(device, (perDevice = new Map()));
  const key = JSON.stringify(cfg);
  const hit = perDevice.get(key);
  if (hit) return hit;

  const bad = headDimProblem(cfg.headDim) ?? kvTypeProblem(cfg.headDim, cfg.kvCacheType);
  if (bad) throw new Error(bad);
  const q8 = cfg.kvCacheType === 'q8_0';
  const f16 = cfg.kvCacheType === 'f16';
  const values = {
    ENABLE_F16: f16 ? 'enable f16;' : '',
    KT: f16 ? 'f16' : 'f32',
    HD: cfg.headDim,
    SCALE: f32Literal(1 / Math.sqrt(cfg.headDim)),
    R: ROWS_PER_WG,
    BK: KEYS_PER_TILE,
    // Row stride of the cache in its binding's element (vec4<KT>, or u32 words for q8_0).
    KROW: q8 ? q8RowWords(cfg.headDim) : cfg.headDim / 4,
    QB: q8BlockLength(cfg.headDim),
  };
  const kvAccess = q8 ? KV_ACCESS_Q8 : KV_ACCESS_FLOAT;
  const storeLayout = layout(device, 'attn-store', ['uniform', 'read', 'read', 'rw', 'rw', 'read', 'rw']);
  const attendLayout = layout(device, 'attn-attend', ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw', 'read']);
  const reduceLayout = layout(device, 'attn-reduce', ['uniform', 'read', 'rw']);
  const regroupLayout = layout(device, 'attn-regroup', ['uniform', 'read', 'read', 'rw']);
  const p: AttentionPipelines = {
    store: pipeline(device, 'attn-store', specialize(q8 ? q8Src + storeQ8Src : storeSrc, values), storeLayout),
    attend: pipeline(device, 'attn-attend', specialize(attendSrc.replace('$KV_ACCESS', kvAccess), values), attendLayout),
    reduce: pipeline(device, 'attn-reduce', specialize(reduceSrc, values), reduceLayout),
    regroup: pipeline(device, 'attn-regroup', specialize(q8 ? q8Src + regroupQ8Src : regroupSrc, values), regroupLayout),
    storeLayout,
    attendLayout,
    reduceLayout,
    regroupLayout,
  };
  perDevice.set(key, p);
  return p;
}
