// Shared plumbing for the engine's compute kernels: one pipeline per (device, shader, entry point),
// 2-D dispatch grids for work larger than one dimension allows, and a uniform arena so many
// dispatches with different parameters can be recorded into one command encoder.

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
/** Which device made a pipeline, so encodeDispatch can create bind groups without extra arguments. */
const deviceOfPipeline = new WeakMap<GPUComputePipeline, GPUDevice>();

/**
 * Pipelines are compiled once per device and reused by every call (compilation is slow).
 * `bindings` gives an explicit layout (binding i has type bindings[i]) for shaders whose entry points
 * use only some of the module's bindings: 'auto' layouts drop unused ones, which would make one
 * shared list of bind group entries invalid.
 */
export function getPipeline(device: GPUDevice, code: string, entryPoint: string, label: string, bindings?: GPUBufferBindingType[]): GPUComputePipeline {
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  const key = `${label}\u0000${entryPoint}\u0000${code}`;
  let p = perDevice.get(key);
  if (!p) {
    const module = device.createShaderModule({ code, label });
    const layout = bindings
      ? device.createPipelineLayout({
          bindGroupLayouts: [
            device.createBindGroupLayout({
              entries: bindings.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
            }),
          ],
        })
      : 'auto';
    p = device.createComputePipeline({ layout, compute: { module, entryPoint }, label: `${label}:${entryPoint}` });
    perDevice.set(key, p);
    deviceOfPipeline.set(p, device);
  }
  return p;
}

/**
 * Splits `groups` workgroups over x and y so neither exceeds the per-dimension limit; shaders
 * recover the linear index as `wid.y * gridX + wid.x` and must bounds-check it.
 */
export function grid2d(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

/**
 * Per-dispatch uniforms for a batch of recorded work. queue.writeBuffer is ordered on the queue
 * timeline, so the arena can be rewritten for the next batch as soon as the previous one was submitted.
 */
export class UniformArena {
  private readonly align: number;
  private buffers: GPUBuffer[] = [];
  private current: GPUBuffer;
  private staging: ArrayBuffer;
  private used = 0;
  private flushed = 0;

  constructor(private readonly device: GPUDevice, private capacity = 64 * 1024) {
    this.align = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.current = this.create();
    this.staging = new ArrayBuffer(this.capacity);
  }

  private create(): GPUBuffer {
    const b = this.device.createBuffer({ size: this.capacity, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform-arena' });
    this.buffers.push(b);
    return b;
  }

  /** Reserves a slot holding `data` (u32 words; f32 values via `f32bits`). */
  alloc(data: ArrayLike<number>): GPUBufferBinding {
    const size = Math.max(16, Math.ceil((data.length * 4) / 16) * 16);
    if (this.used + size > this.capacity) {
      // Out of space mid-batch: flush what we have and continue in a fresh, larger buffer. The old
      // buffer stays alive (bind groups recorded earlier still point into it) until reset().
      this.flush();
      this.capacity *= 2;
      this.current = this.create();
      this.staging = new ArrayBuffer(this.capacity);
      this.used = 0;
      this.flushed = 0;
    }
    const off = this.used;
    new Uint32Array(this.staging, off, data.length).set(data);
    this.used = Math.ceil((off + size) / this.align) * this.align;
    return { buffer: this.current, offset: off, size };
  }

  /** Uploads the slots allocated since the last flush; call before submitting work that reads them. */
  flush(): void {
    if (this.used > this.flushed) {
      this.device.queue.writeBuffer(this.current, this.flushed, this.staging, this.flushed, this.used - this.flushed);
      this.flushed = this.used;
    }
  }

  /** Starts a new batch (after the previous one was submitted). */
  reset(): void {
    this.flush();
    for (const b of this.buffers) if (b !== this.current) b.destroy();
    this.buffers = [this.current];
    this.used = 0;
    this.flushed = 0;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Bit pattern of an f32, for packing floats into a u32 uniform block. */
export function f32bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** A dispatch with everything resolved: recording it is three calls on a pass, no lookups. */
export interface PreparedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  x: number;
  y: number;
}

/** Records prepared dispatches into an open pass (barriers between them are implicit within a pass). */
export function recordPrepared(pass: GPUComputePassEncoder, list: readonly PreparedDispatch[]): void {
  for (const d of list) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.x, d.y);
  }
}

/** Records one compute pass with a single dispatch. Bind group entries are bound in order from 0. */
export function encodeDispatch(
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  entries: Array<GPUBufferBinding>,
  groups: [number, number],
): void {
  const bg = bindGroupFor(pipeline, entries);
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(groups[0], groups[1]);
  pass.end();
}

/**
 * Bind groups are cached per pipeline by (buffer identity, offset, size) of each entry: a decode step
 * records the same ~100 dispatches with the same arena offsets every time, and creating their bind
 * groups again each step costs more CPU time than the step's encoding itself on slow adapters.
 */
const bindGroupCache = new WeakMap<GPUComputePipeline, Map<string, GPUBindGroup>>();
const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 1;
const MAX_CACHED_PER_PIPELINE = 1024;

/** A process-wide small integer per buffer, for bind-group cache keys. */
export function bufferId(b: GPUBuffer): number {
  let id = bufferIds.get(b);
  if (id === undefined) bufferIds.set(b, (id = nextBufferId++));
  return id;
}

function bindGroupFor(pipeline: GPUComputePipeline, entries: Array<GPUBufferBinding>): GPUBindGroup {
  const device = deviceOfPipeline.get(pipeline);
  if (!device) throw new Error('pipeline was not created through getPipeline');
  let cache = bindGroupCache.get(pipeline);
  if (!cache) bindGroupCache.set(pipeline, (cache = new Map()));
  const key = entries.map((e) => `${bufferId(e.buffer)}:${e.offset ?? 0}:${e.size ?? -1}`).join('|');
  let bg = cache.get(key);
  if (!bg) {
    // Entries of destroyed buffers never match again; a bounded cache drops them eventually.
    if (cache.size >= MAX_CACHED_PER_PIPELINE) cache.clear();
    bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map((resource, binding) => ({ binding, resource })),
    });
    cache.set(key, bg);
  }
  return bg;
}

/** Creates a storage buffer initialised from `data`. */
export function storageFrom(device: GPUDevice, data: Float32Array | Uint32Array | Int32Array, extraUsage = 0, label?: string): GPUBuffer {
  const b = device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    mappedAtCreation: true,
    label,
  });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

/** Copies `bytes` bytes of `src` from `offset` to the CPU. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
  const rd = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src, offset, rd, 0, Math.ceil(bytes / 4) * 4);
    device.queue.submit([enc.finish()]);
    await rd.mapAsync(GPUMapMode.READ);
    return rd.getMappedRange().slice(0, bytes);
  } finally {
    if (rd.mapState === 'mapped') rd.unmap();
    rd.destroy();
  }
}
