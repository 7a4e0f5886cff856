// TypeScript wrappers that record the transformer block's non-linear-algebra kernels (RMSNorm,
// residual add, bias add, SwiGLU) into a command encoder. Pipelines are cached per device.
import rmsnormSrc from './rmsnorm.wgsl';
import elementwiseSrc from './elementwise.wgsl';
import { encodeDispatch, f32bits, getPipeline, grid2d, type PreparedDispatch, type UniformArena } from './common';

export interface RmsNormArgs {
  x: GPUBuffer;
  w: GPUBuffer;
  y: GPUBuffer;
  rows: number;
  dim: number;
  eps: number;
  /** Element offsets into x and y (e.g. to normalise only the last token's row). */
  xOff?: number;
  yOff?: number;
}

export class BlockKernels {
  private readonly maxGroups: number;
  /** Pipelines by entry point, held by reference for prepared dispatches (no lookup by WGSL text). */
  private readonly pipes = new Map<string, GPUComputePipeline>();
  constructor(private readonly device: GPUDevice, private readonly arena: UniformArena) {
    this.maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  }

  rmsNorm(enc: GPUCommandEncoder, a: RmsNormArgs): void {
    if (a.rows === 0) return;
    const g = grid2d(a.rows, this.maxGroups);
    const u = this.arena.alloc([a.rows, a.dim, f32bits(a.eps), g[0], a.xOff ?? 0, a.yOff ?? 0]);
    const pipe = getPipeline(this.device, rmsnormSrc, 'main', 'rmsnorm');
    encodeDispatch(enc, pipe, [u, { buffer: a.x }, { buffer: a.w }, { buffer: a.y }], g);
  }

  /** a += b over n elements (residual connection). */
  add(enc: GPUCommandEncoder, a: GPUBuffer, b: GPUBuffer, n: number): void {
    this.elementwise(enc, 'add', a, b, n, 1);
  }

  /** a[r, c] += bias[c] for the first n elements of a, rows of `width`. */
  biasAdd(enc: GPUCommandEncoder, a: GPUBuffer, bias: GPUBuffer, n: number, width: number): void {
    this.elementwise(enc, 'biasAdd', a, bias, n, width);
  }

  /** gate = silu(gate) * up over n elements. */
  swiglu(enc: GPUCommandEncoder, gate: GPUBuffer, up: GPUBuffer, n: number): void {
    this.elementwise(enc, 'swiglu', gate, up, n, 1);
  }

  /**
   * The RMSNorm dispatch with its own immutable uniform buffer, for a dispatch list prepared once and
   * replayed every step; the caller destroys `owned` with the list. (Bias add and SwiGLU have no prepared
   * form: the engine fuses them into the linear kernels' epilogue.)
   */
  prepareRmsNorm(a: RmsNormArgs, owned: GPUBuffer[]): PreparedDispatch[] {
    if (a.rows === 0) return [];
    const g = grid2d(a.rows, this.maxGroups);
    const u = this.uniform([a.rows, a.dim, f32bits(a.eps), g[0], a.xOff ?? 0, a.yOff ?? 0], owned);
    return [this.prepared('rmsnorm', rmsnormSrc, 'main', [u, a.x, a.w, a.y], g)];
  }

  private uniform(words: number[], owned: GPUBuffer[]): GPUBuffer {
    const b = this.device.createBuffer({ label: 'block-kernel params', size: Math.max(16, Math.ceil(words.length / 4) * 16), usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint32Array(b.getMappedRange()).set(words);
    b.unmap();
    owned.push(b);
    return b;
  }

  private prepared(label: string, code: string, entry: string, buffers: GPUBuffer[], g: [number, number]): PreparedDispatch {
    const key = `${label}:${entry}`;
    let pipeline = this.pipes.get(key);
    if (!pipeline) this.pipes.set(key, (pipeline = getPipeline(this.device, code, entry, label)));
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return { pipeline, bindGroup, x: g[0], y: g[1] };
  }

  private elementwise(enc: GPUCommandEncoder, entry: string, a: GPUBuffer, b: GPUBuffer, n: number, width: number): void {
    if (n === 0) return;
    const g = grid2d(Math.ceil(n / 256), this.maxGroups);
    const u = this.arena.alloc([n, g[0], width, 0]);
    const pipe = getPipeline(this.device, elementwiseSrc, entry, 'elementwise');
    encodeDispatch(enc, pipe, [u, { buffer: a }, { buffer: b }], g);
  }
}
