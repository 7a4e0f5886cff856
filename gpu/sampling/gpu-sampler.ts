// Records token selection after the logits kernel so a decode step reads back a single u32.
import src from './sampling.wgsl';
import { encodeDispatch, f32bits, getPipeline, grid2d } from '../kernels/common';

/** Fully resolved sampling parameters (see resolveSampling for defaults). */
export interface SamplingParams {
  greedy: boolean;
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  /** 1 disables top-p. */
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

/** Defaults follow llama.cpp's: temperature 0.8, top-k 40, top-p 0.95, no penalty, window 64. */
export function resolveSampling(o: SamplingInput): SamplingParams {
  const temperature = o.temperature ?? 0.8;
  const p: SamplingParams = {
    greedy: o.greedy === true || temperature <= 0,
    temperature,
    topK: Math.max(0, Math.floor(o.topK ?? 40)),
    topP: o.topP ?? 0.95,
    repeatPenalty: o.repeatPenalty ?? 1,
    repeatLastN: Math.max(0, Math.floor(o.repeatLastN ?? 64)),
  };
  if (!(p.topP > 0 && p.topP <= 1)) throw new Error(`topP must be in (0, 1], got ${o.topP}`);
  if (!(p.repeatPenalty > 0)) throw new Error(`repeatPenalty must be > 0, got ${o.repeatPenalty}`);
  return p;
}

const PER_WG = 4096; // logits per argmaxPartial workgroup (matches the shader)
const MAX_PENALTY_IDS = 4096;
const LAYOUT: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'read-only-storage'];
const pipe = (device: GPUDevice, entry: string): GPUComputePipeline => getPipeline(device, src, entry, 'sampling', LAYOUT);

export class GpuSampler {
  private readonly work: GPUBuffer;
  private readonly scratch: GPUBuffer;
  private readonly penaltyIds: GPUBuffer;
  private readonly uniforms: GPUBuffer;
  private readonly finalUniforms: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly partials: number;
  private readonly grid: [number, number];

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
    this.readback = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'sampler-readback' });
  }

  /** Bytes of GPU memory this sampler holds. */
  static memoryBytes(vocab: number): number {
    return vocab * 4 + Math.ceil(vocab / PER_WG) * 8 + MAX_PENALTY_IDS * 4 + 128;
  }

  /**
   * Records the selection of one token from `logits[rowOffset .. rowOffset + vocab)` and the copy of
   * its id to the readback buffer. `recent` is the repetition-penalty window; `seed` a per-step seed.
   */
  encode(enc: GPUCommandEncoder, logits: GPUBuffer, rowOffset: number, params: SamplingParams, recent: readonly number[], seed: number): void {
    const ids = params.repeatPenalty !== 1 && params.repeatLastN > 0 ? [...new Set(recent.slice(-params.repeatLastN))] : [];
    const uniq = Uint32Array.from(ids.slice(0, MAX_PENALTY_IDS));
    if (uniq.length) this.device.queue.writeBuffer(this.penaltyIds, 0, uniq);
    const u = new Uint32Array([
      this.vocab,
      params.topK,
      seed >>> 0,
      uniq.length,
      f32bits(params.temperature),
      f32bits(params.topP),
      f32bits(params.repeatPenalty),
      this.grid[0],
    ]);
    this.device.queue.writeBuffer(this.uniforms, 0, u);
    enc.copyBufferToBuffer(logits, rowOffset * 4, this.work, 0, this.vocab * 4);
    const b = (x: GPUBuffer): GPUBufferBinding => ({ buffer: x });
    const entries = [b(this.uniforms), b(this.work), b(this.scratch), b(this.penaltyIds)];
    if (uniq.length) {
      encodeDispatch(enc, pipe(this.device, 'penalize'), entries, [Math.ceil(uniq.length / 64), 1]);
    }
    if (params.greedy) {
      encodeDispatch(enc, pipe(this.device, 'argmaxPartial'), entries, this.grid);
      u[7] = this.partials; // argmaxFinal reads the number of partials from gridX
      this.device.queue.writeBuffer(this.finalUniforms, 0, u);
      encodeDispatch(enc, pipe(this.device, 'argmaxFinal'), [b(this.finalUniforms), ...entries.slice(1)], [1, 1]);
    } else {
      encodeDispatch(enc, pipe(this.device, 'sample'), entries, [1, 1]);
    }
    enc.copyBufferToBuffer(this.scratch, 0, this.readback, 0, 4);
  }

  /** Reads the id recorded by the last submitted encode(). */
  async read(): Promise<number> {
    await this.readback.mapAsync(GPUMapMode.READ);
    try {
      return new Uint32Array(this.readback.getMappedRange())[0];
    } finally {
      this.readback.unmap();
    }
  }

  /** Convenience: encode, submit and read in one call. */
  async sample(logits: GPUBuffer, rowOffset: number, params: SamplingParams, recent: readonly number[], seed: number): Promise<number> {
    const enc = this.device.createCommandEncoder();
    this.encode(enc, logits, rowOffset, params, recent, seed);
    this.device.queue.submit([enc.finish()]);
    return this.read();
  }

  destroy(): void {
    for (const x of [this.work, this.scratch, this.penaltyIds, this.uniforms, this.finalUniforms, this.readback]) x.destroy();
  }
}

/** Per-step seed from the request seed and the step index (so steps differ but runs repeat). */
export function stepSeed(seed: number, step: number): number {
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
