// Records token selection after the logits kernel so a decode step reads back a single u32.
import src from './sampling.wgsl';
import { f32bits, getPipeline, grid2d } from '../kernels/common';
import { NonFiniteLogitsError } from './errors';

export { NonFiniteLogitsError };

/** Fully resolved sampling parameters (see resolveSampling for defaults). */
export interface SamplingParams {
  greedy: boolean;
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  /** 1 disables top-p; 0 keeps only the top token (greedy). */
  topP: number;
  /** 1 disables the repetition penalty. */
  repeatPenalty: number;
  repeatLastN: number;
}

export interface SamplingInput {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  repeatPenalty?: number;
  repeatLastN?: number;
}

/**
 * Defaults follow llama.cpp's: temperature 0.8, top-k 40, top-p 0.95, no penalty, window 64.
 * topP = 0 keeps only the top token: the same as greedy (ties go to the lowest id).
 */
export function resolveSampling(o: SamplingInput): SamplingParams {
  const temperature = o.temperature ?? 0.8;
  const p: SamplingParams = {
    greedy: o.greedy === true || temperature <= 0 || o.topP === 0,
    temperature,
    topK: Math.max(0, Math.floor(o.topK ?? 40)),
    topP: o.topP ?? 0.95,
    repeatPenalty: o.repeatPenalty ?? 1,
    repeatLastN: Math.max(0, Math.floor(o.repeatLastN ?? 64)),
  };
  if (!(p.topP >= 0 && p.topP <= 1)) throw new Error(`topP must be in [0, 1] (0 keeps only the top token), got ${o.topP}`);
  if (!(p.repeatPenalty > 0)) throw new Error(`repeatPenalty must be > 0, got ${o.repeatPenalty}`);
  return p;
}

const PER_WG = 4096; // logits per argmaxPartial workgroup (matches the shader)
const MAX_PENALTY_IDS = 4096;
const LAYOUT: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'read-only-storage'];


interface SamplerPipelines {
  penalize: GPUComputePipeline;
  argmaxPartial: GPUComputePipeline;
  argmaxFinal: GPUComputePipeline;
  sample: GPUComputePipeline;
}

export class GpuSampler {
  private readonly work: GPUBuffer;
  private readonly scratch: GPUBuffer;
  private readonly penaltyIds: GPUBuffer;
  private readonly uniforms: GPUBuffer;
  private readonly finalUniforms: GPUBuffer;
  /** Readback slots: a pipelined decode reads step N's id from one while step N+1 copies into the other. */
  private readonly readbacks: GPUBuffer[];
  private readonly partials: number;
  private readonly grid: [number, number];
  /** Pipelines and bind groups held by reference: encode() looks nothing up. */
  private readonly pipes: SamplerPipelines;
  private readonly bindGroup: GPUBindGroup;
  private readonly finalBindGroup: GPUBindGroup;
  private readonly u = new Uint32Array(8);

  constructor(private readonly device: GPUDevice, readonly vocab: number) {
    this.partials = Math.ceil(vocab / PER_WG);
    this.grid = grid2d(this.partials, device.limits.maxComputeWorkgroupsPerDimension);
    const st = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    this.work = device.createBuffer({ size: vocab * 4, usage: st, label: 'sampler-work' });
    this.scratch = device.createBuffer({ size: Math.max(16, this.partials * 8), usage: st, label: 'sampler-scratch' });
    this.penaltyIds = device.createBuffer({ size: MAX_PENALTY_IDS * 4, usage: st, label: 'sampler-penalty' });
    const un = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    this.uniforms = device.createBuffer({ size: 32, usage: un, label: 'sampler-params' });
    this.finalUniforms = device.createBuffer({ size: 32, usage: un, label: 'sampler-final-params' });
    this.readbacks = [0, 1].map((i) => device.createBuffer({ size: 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: `sampler-readback-${i}` }));
    const pipe = (entry: string): GPUComputePipeline => getPipeline(device, src, entry, 'sampling', LAYOUT);
    this.pipes = { penalize: pipe('penalize'), argmaxPartial: pipe('argmaxPartial'), argmaxFinal: pipe('argmaxFinal'), sample: pipe('sample') };
    const layout = this.pipes.sample.getBindGroupLayout(0);
    const rest = [this.work, this.scratch, this.penaltyIds].map((buffer, i) => ({ binding: i + 1, resource: { buffer } }));
    this.bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: this.uniforms } }, ...rest] });
    this.finalBindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: this.finalUniforms } }, ...rest] });
  }

  /** GPU buffer whose first u32 holds the last sampled id once the recorded work ran (the next step's embedding can read it). */
  get idBuffer(): GPUBuffer {
    return this.scratch;
  }

  /** Bytes of GPU memory this sampler holds. */
  static memoryBytes(vocab: number): number {
    return vocab * 4 + Math.ceil(vocab / PER_WG) * 8 + MAX_PENALTY_IDS * 4 + 144;
  }

  /**
   * Records the selection of one token from `logits[rowOffset .. rowOffset + vocab)` and the copy of
   * its id to the readback buffer. `recent` is the repetition-penalty window; `seed` a per-step seed.
   */
  encode(enc: GPUCommandEncoder, logits: GPUBuffer, rowOffset: number, params: SamplingParams, recent: readonly number[], seed: number, slot = 0): void {
    const ids = params.repeatPenalty !== 1 && params.repeatLastN > 0 ? [...new Set(recent.slice(-params.repeatLastN))] : [];
    const uniq = Uint32Array.from(ids.slice(0, MAX_PENALTY_IDS));
    if (uniq.length) this.device.queue.writeBuffer(this.penaltyIds, 0, uniq);
    const u = this.u;
    u.set([this.vocab, params.topK, seed >>> 0, uniq.length, f32bits(params.temperature), f32bits(params.topP), f32bits(params.repeatPenalty), this.grid[0]]);
    this.device.queue.writeBuffer(this.uniforms, 0, u);
    if (params.greedy) {
      u[7] = this.partials; // argmaxFinal reads the number of partials from gridX
      this.device.queue.writeBuffer(this.finalUniforms, 0, u);
    }
    enc.copyBufferToBuffer(logits, rowOffset * 4, this.work, 0, this.vocab * 4);
    // One pass: penalties, then argmax (two stages) or the stochastic draw.
    const pass = enc.beginComputePass({ label: 'sampler' });
    pass.setBindGroup(0, this.bindGroup);
    if (uniq.length) {
      pass.setPipeline(this.pipes.penalize);
      pass.dispatchWorkgroups(Math.ceil(uniq.length / 64));
    }
    if (params.greedy) {
      pass.setPipeline(this.pipes.argmaxPartial);
      pass.dispatchWorkgroups(this.grid[0], this.grid[1]);
      pass.setPipeline(this.pipes.argmaxFinal);
      pass.setBindGroup(0, this.finalBindGroup);
      pass.dispatchWorkgroups(1);
    } else {
      pass.setPipeline(this.pipes.sample);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    enc.copyBufferToBuffer(this.scratch, 0, this.readbacks[slot], 0, 8);
  }

  /** Reads the id recorded by the last submitted encode(); throws NonFiniteLogitsError for NaN/infinite logits. */
  async read(slot = 0): Promise<number> {
    const readback = this.readbacks[slot];
    await readback.mapAsync(GPUMapMode.READ);
    let id: number;
    let nonFinite: number;
    try {
      [id, nonFinite] = new Uint32Array(readback.getMappedRange(0, 8));
    } finally {
      readback.unmap();
    }
    if (nonFinite) throw new NonFiniteLogitsError();
    return id;
  }

  /** Convenience: encode, submit and read in one call. */
  async sample(logits: GPUBuffer, rowOffset: number, params: SamplingParams, recent: readonly number[], seed: number): Promise<number> {
    const enc = this.device.createCommandEncoder();
    this.encode(enc, logits, rowOffset, params, recent, seed);
    this.device.queue.submit([enc.finish()]);
    return this.read();
  }

  destroy(): void {
    for (const x of [this.work, this.scratch, this.penaltyIds, this.uniforms, this.finalUniforms, ...this.readbacks]) x.destroy();
  }
}

/** Per-step seed from the request seed and the step index (so steps differ but runs repeat). */
export function stepSeed(seed: number, step: number): number {
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
