// Encodes the linear kernels (mat-vec, tiled mat-mul, embedding gather) for weights uploaded by upload.ts.
//
// Usage (engine):
//   const lk = new LinearKernels(ctx);
//   lk.encodeMatVec(encoderOrPass, weight, x, y, nTokens, { add: true });   // y[t][row] (+)= W·x[t]
//   lk.encodeEmbedding(encoderOrPass, tokEmbd, idsBuffer, out, nTokens);
//   device.queue.submit([encoder.finish()]);
// x and y are f32 buffers laid out [token][value] (strides/offsets in opts, in elements); ids are u32.
// encodeMatVec picks the mat-vec kernel for nTokens <= 4 and the tiled mat-mul above.
//
// Per-call parameters live in small immutable uniform buffers cached by content (the same shapes recur
// every layer and every step), so any number of calls may be encoded before one submit, nothing has to
// be reset between frames, and nothing is written to the queue per call. Bind groups are cached too.
// Pipelines are created on first use and cached per (type, kernel, variant) on this instance (one per device).
import type { GpuContext } from '../../device/gpu-device';
import { loadDawn } from '../../device/dawn';
import { GGMLType } from '../../gguf/types';
import { bufferId, recordPrepared, type PreparedDispatch } from '../common';
import { buildShader, type LinearKernelKind } from './shader';
import type { GpuWeight, WeightChunk } from './upload';

export interface LinearOptions {
  /** Element offset of token 0's vector in x (multiple of 4). */
  xOffset?: number;
  /** Elements between consecutive tokens in x (default nIn; multiple of 4). */
  xStride?: number;
  /** Element offset of token 0's outputs in y. */
  yOffset?: number;
  /** Elements between consecutive tokens in y (default nOut). */
  yStride?: number;
  /** Accumulate into y instead of overwriting it (residual fusion). */
  add?: boolean;
  /** Force a kernel (tests, benchmarks); default 'auto'. */
  kernel?: 'auto' | 'matvec' | 'matmul';
  /** Epilogue: y[t][row] (+)= W·x + bias[row] (fuses a bias add; at least nOut values). */
  bias?: GPUBuffer;
  /** Epilogue: y[t][row] (+)= silu(gate[t][row]) · (W·x) (fuses SwiGLU; gate laid out like y). */
  swigluGate?: GPUBuffer;
}

export interface EmbeddingOptions {
  /** Element offset of the first id in the ids buffer. */
  idsOffset?: number;
  /** Element offset of token 0's row in out. */
  outOffset?: number;
  /** Elements between consecutive tokens in out (default nIn). */
  outStride?: number;
}

export interface LinearKernelsOptions {
  /** Pretend the device allows fewer workgroups per dimension (tests of 2-D dispatch). */
  maxWorkgroupsPerDimension?: number;
  /** Use subgroup reductions when the device has them (default true). */
  subgroups?: boolean;
  /** Rows per mat-vec workgroup for one token, divided by the token count for 2..4 tokens
   *  (default 4 on GPUs, 8 on CPU rasterizers where each workgroup is costly). */
  matvecRows?: number;
}

/** Largest token count served by the mat-vec kernel; above it the tiled mat-mul is used. */
export const MATVEC_MAX_TOKENS = 4;
const MATVEC_WG = 64;
const MATMUL_TM = 64;
/** Tokens per mat-mul tile: each weight unit is dequantized once per this many tokens. */
const MATMUL_TN = 32;
const PARAM_CACHE = 2048;
const BIND_CACHE = 4096;

type Target = GPUCommandEncoder | GPUComputePassEncoder;

let subgroupIdSupported: boolean | undefined;
/** The subgroup reduction needs WGSL's subgroup_id builtin (to index shared memory without assuming a lane layout). */
function wgslHasSubgroupId(): boolean {
  if (subgroupIdSupported === undefined) {
    try {
      subgroupIdSupported = loadDawn().create([]).wgslLanguageFeatures.has('subgroup_id');
    } catch {
      subgroupIdSupported = false;
    }
  }
  return subgroupIdSupported;
}

/** LRU map: re-inserting on hit keeps recently used entries at the end. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.set(k, v);
    // Evicted entries are only dropped, never destroyed: an unsubmitted command buffer may still use them.
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  clear(): void {
    this.map.clear();
  }
}

export class LinearKernels {
  readonly useSubgroups: boolean;
  private readonly device: GPUDevice;
  private readonly maxDim: number;
  private readonly maxBinding: number;
  private readonly matvecRows: number;
  private readonly bgl: GPUBindGroupLayout;
  private readonly layout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly params = new Lru<GPUBuffer>(PARAM_CACHE);
  private readonly bindGroups = new Lru<GPUBindGroup>(BIND_CACHE);

  constructor(ctx: GpuContext, opts: LinearKernelsOptions = {}) {
    this.device = ctx.device;
    this.maxDim = Math.min(opts.maxWorkgroupsPerDimension ?? Infinity, ctx.info.limits.maxComputeWorkgroupsPerDimension);
    this.maxBinding = ctx.info.limits.maxStorageBufferBindingSize;
    this.matvecRows = opts.matvecRows ?? (ctx.info.isSoftware ? 8 : 4);
    this.useSubgroups = (opts.subgroups ?? true) && ctx.info.features.subgroups && wgslHasSubgroupId();
    const storage = (type: GPUBufferBindingType): GPUBindGroupLayoutEntry['buffer'] => ({ type });
    this.bgl = this.device.createBindGroupLayout({
      label: 'linear',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: storage('uniform') },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: storage('read-only-storage') },
        { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: storage('read-only-storage') },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: storage('read-only-storage') },
        { binding: 4, visibility: GPUShaderStage.COMPUTE, buffer: storage('storage') },
        { binding: 5, visibility: GPUShaderStage.COMPUTE, buffer: storage('read-only-storage') },
      ],
    });
    this.layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.bgl] });
  }

  /** y[t][row] (+)= sum_k W[row][k] x[t][k] for t < nTokens. */
  encodeMatVec(target: Target, w: GpuWeight, x: GPUBuffer, y: GPUBuffer, nTokens: number, opts: LinearOptions = {}): void {
    const list = this.prepareMatVec(w, x, y, nTokens, opts);
    if (list.length) this.withPass(target, (pass) => recordPrepared(pass, list));
  }

  /**
   * The dispatches encodeMatVec would record, with their pipelines, parameters and bind groups resolved:
   * an engine that replays the same shapes every step prepares them once and records them by reference.
   */
  prepareMatVec(w: GpuWeight, x: GPUBuffer, y: GPUBuffer, nTokens: number, opts: LinearOptions = {}): PreparedDispatch[] {
    if (nTokens <= 0) return [];
    const xOffset = opts.xOffset ?? 0;
    const xStride = opts.xStride ?? w.nIn;
    const yOffset = opts.yOffset ?? 0;
    const yStride = opts.yStride ?? w.nOut;
    if (xOffset % 4 || xStride % 4) throw new Error(`linear ${w.name}: xOffset and xStride must be multiples of 4 (got ${xOffset}, ${xStride})`);
    this.checkExtent(w.name, 'x', x, xOffset + (nTokens - 1) * xStride + w.nIn);
    this.checkExtent(w.name, 'y', y, yOffset + (nTokens - 1) * yStride + w.nOut);
    const kernel = opts.kernel ?? 'auto';
    const useMatvec = kernel === 'matvec' || (kernel === 'auto' && nTokens <= MATVEC_MAX_TOKENS);
    if (opts.bias && opts.swigluGate) throw new Error(`linear ${w.name}: one epilogue at a time (bias or swigluGate)`);
    if (opts.bias) this.checkExtent(w.name, 'bias', opts.bias, w.nOut);
    if (opts.swigluGate) this.checkExtent(w.name, 'swigluGate', opts.swigluGate, yOffset + (nTokens - 1) * yStride + w.nOut);
    const epi = { buffer: opts.bias ?? opts.swigluGate ?? x, mode: opts.bias ? 1 : opts.swigluGate ? 2 : 0 };
    const out: PreparedDispatch[] = [];
    if (useMatvec) {
      for (let t0 = 0; t0 < nTokens; t0 += MATVEC_MAX_TOKENS) {
        const nt = Math.min(MATVEC_MAX_TOKENS, nTokens - t0);
        const pipeline = this.pipeline('matvec', w.type, nt);
        for (const c of w.chunks) {
          const groups = Math.ceil(c.rows / this.rowsFor(nt));
          out.push(
            this.prepare(pipeline, w, c, x, y, groups, {
              nTokens: nt, xOff: xOffset + t0 * xStride, xStride, yOff: yOffset + t0 * yStride, yStride, add: opts.add ? 1 : 0, rowTiles: 0, epi,
            }),
          );
        }
      }
    } else {
      const pipeline = this.pipeline('matmul', w.type, 0);
      for (const c of w.chunks) {
        const rowTiles = Math.ceil(c.rows / MATMUL_TM);
        const groups = rowTiles * Math.ceil(nTokens / MATMUL_TN);
        out.push(this.prepare(pipeline, w, c, x, y, groups, { nTokens, xOff: xOffset, xStride, yOff: yOffset, yStride, add: opts.add ? 1 : 0, rowTiles, epi }));
      }
    }
    return out;
  }

  /** out[t][k] = W[ids[t]][k] (dequantized) for t < nTokens; ids must be < w.nOut. */
  encodeEmbedding(target: Target, w: GpuWeight, ids: GPUBuffer, out: GPUBuffer, nTokens: number, opts: EmbeddingOptions = {}): void {
    const list = this.prepareEmbedding(w, ids, out, nTokens, opts);
    if (list.length) this.withPass(target, (pass) => recordPrepared(pass, list));
  }

  /** The dispatches encodeEmbedding would record (see prepareMatVec). */
  prepareEmbedding(w: GpuWeight, ids: GPUBuffer, out: GPUBuffer, nTokens: number, opts: EmbeddingOptions = {}): PreparedDispatch[] {
    if (nTokens <= 0) return [];
    const idsOffset = opts.idsOffset ?? 0;
    const outOffset = opts.outOffset ?? 0;
    const outStride = opts.outStride ?? w.nIn;
    this.checkExtent(w.name, 'ids', ids, idsOffset + nTokens);
    this.checkExtent(w.name, 'out', out, outOffset + (nTokens - 1) * outStride + w.nIn);
    const pipeline = this.pipeline('embedding', w.type, 0);
    return w.chunks.map((c) =>
      this.prepare(pipeline, w, c, ids, out, nTokens, { nTokens, xOff: idsOffset, xStride: 0, yOff: outOffset, yStride: outStride, add: 0, rowTiles: 0, epi: { buffer: ids, mode: 0 } }),
    );
  }

  /** Compiles the pipelines for these weight types ahead of the first call (optional). */
  warmup(types: Iterable<GGMLType>): void {
    for (const t of new Set(types)) {
      for (let nt = 1; nt <= MATVEC_MAX_TOKENS; nt++) this.pipeline('matvec', t, nt);
      this.pipeline('matmul', t, 0);
      this.pipeline('embedding', t, 0);
    }
  }

  /** Drops cached parameter buffers and bind groups (e.g. after freeing a model's buffers). */
  clearCaches(): void {
    this.params.clear();
    this.bindGroups.clear();
  }

  /** The WGSL for a kernel variant (tests check that each compiles). */
  shaderSource(kind: LinearKernelKind, type: GGMLType, nTokens = 1): string {
    return buildShader(this.variant(kind, type, nTokens));
  }

  /** Mat-vec rows per workgroup for nt tokens: NR*NT accumulators stay about constant (registers, code size). */
  private rowsFor(nt: number): number {
    return Math.max(1, Math.floor(this.matvecRows / nt));
  }

  private variant(kind: LinearKernelKind, type: GGMLType, nt: number): Parameters<typeof buildShader>[0] {
    if (kind === 'matvec') {
      return { kind, type, consts: { NR: this.rowsFor(nt), NT: nt, WG: MATVEC_WG }, subgroups: this.useSubgroups };
    }
    if (kind === 'matmul') return { kind, type, consts: { TN: MATMUL_TN } };
    return { kind, type };
  }

  private pipeline(kind: LinearKernelKind, type: GGMLType, nt: number): GPUComputePipeline {
    const key = `${kind}:${type}:${nt}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ label: `linear ${kind} ${GGMLType[type]}`, code: this.shaderSource(kind, type, nt) });
      p = this.device.createComputePipeline({ label: `linear ${kind} ${GGMLType[type]} nt${nt}`, layout: this.layout, compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private withPass(target: Target, f: (pass: GPUComputePassEncoder) => void): void {
    if ('dispatchWorkgroups' in target) {
      f(target);
      return;
    }
    const pass = target.beginComputePass();
    f(pass);
    pass.end();
  }

  private bindSize(b: GPUBuffer, align: number): number {
    const s = Math.min(b.size, this.maxBinding);
    return s - (s % align);
  }

  private checkExtent(name: string, what: string, b: GPUBuffer, elements: number): void {
    const have = this.bindSize(b, what === 'x' ? 16 : 4) / 4;
    if (elements > have) {
      throw new Error(`linear ${name}: ${what} needs ${elements} elements but its buffer binds only ${have} (buffer ${b.size} bytes, binding limit ${this.maxBinding})`);
    }
  }

  private prepare(
    pipeline: GPUComputePipeline,
    w: GpuWeight,
    c: WeightChunk,
    x: GPUBuffer,
    y: GPUBuffer,
    groups: number,
    p: { nTokens: number; xOff: number; xStride: number; yOff: number; yStride: number; add: number; rowTiles: number; epi: { buffer: GPUBuffer; mode: number } },
  ): PreparedDispatch {
    const gx = Math.min(groups, this.maxDim);
    const gy = Math.ceil(groups / gx);
    if (gy > this.maxDim) throw new Error(`linear ${w.name}: ${groups} workgroups exceed this GPU's 2-D dispatch limit`);
    const units = (w.blocksPerRow * w.layout.blockValues) / (4 * w.layout.unitVec4);
    const values = [w.nIn, c.rows, c.rowStart, p.nTokens, units, c.offX, c.offF, gx, p.xOff, p.xStride, p.yOff, p.yStride, p.add, groups, p.rowTiles, p.epi.mode];
    const pkey = values.join(',');
    let pbuf = this.params.get(pkey);
    if (!pbuf) {
      pbuf = this.device.createBuffer({ label: 'linear params', size: values.length * 4, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
      new Uint32Array(pbuf.getMappedRange()).set(values);
      pbuf.unmap();
      this.params.set(pkey, pbuf);
    }
    const bkey = `${bufferId(c.buffer)}|${bufferId(x)}|${bufferId(y)}|${bufferId(pbuf)}|${bufferId(p.epi.buffer)}`;
    let bg = this.bindGroups.get(bkey);
    if (!bg) {
      bg = this.device.createBindGroup({
        layout: this.bgl,
        entries: [
          { binding: 0, resource: { buffer: pbuf } },
          { binding: 1, resource: { buffer: c.buffer } },
          { binding: 2, resource: { buffer: c.buffer } },
          { binding: 3, resource: { buffer: x, size: this.bindSize(x, 16) } },
          { binding: 4, resource: { buffer: y, size: this.bindSize(y, 4) } },
          { binding: 5, resource: { buffer: p.epi.buffer, size: this.bindSize(p.epi.buffer, 4) } },
        ],
      });
      this.bindGroups.set(bkey, bg);
    }
    return { pipeline, bindGroup: bg, x: gx, y: gy };
  }
}

