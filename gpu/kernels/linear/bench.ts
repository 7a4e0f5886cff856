// Micro-benchmark: mat-vec weight-read bandwidth per type vs the device's copy bandwidth.
// Used by `npm run bench` (engine's CLI) and runnable alone: `npx tsx gpu/kernels/linear/bench.ts`
// (needs the .wgsl loader: node -r tsx/cjs -r ./test/helpers/register-text.cjs gpu/kernels/linear/bench.ts).
//
// Several distinct weights are cycled so that their total (>= minBytes, 160 MB default) exceeds the CPU's
// last-level cache on lavapipe: every mat-vec really streams its weight from memory.
import { openDevice, describeDevice, type GpuContext } from '../../device/gpu-device';
import { GGMLType, GGML_BLOCK } from '../../gguf/types';
import { quantize } from '../../quant';
import { LinearKernels, type LinearKernelsOptions } from './kernels';
import { uploadWeight, type GpuWeight } from './upload';

export interface LinearBenchOptions {
  ctx?: GpuContext;
  types?: GGMLType[];
  nIn?: number;
  nOut?: number;
  /** Total bytes of distinct weights cycled per type (default 160 MB). */
  minBytes?: number;
  /** Timed sweeps over all weights (default 3). */
  sweeps?: number;
  /** Tokens for the mat-mul (prefill) measurement; 0 skips it (default 128). */
  matmulTokens?: number;
  log?: (line: string) => void;
  /** Kernel options (e.g. matvecRows) to compare variants. */
  kernels?: LinearKernelsOptions;
  /** Skip the copy measurements (reuse earlier figures). */
  copy?: { buffer: CopyBench; kernel: CopyBench };
}

export interface CopyBench {
  bytes: number;
  seconds: number;
  /** Bytes copied per second / 1e9 (each byte is read once and written once). */
  GBps: number;
}

export interface MatVecBench {
  type: string;
  nIn: number;
  nOut: number;
  /** Weight bytes read per mat-vec. */
  bytes: number;
  secondsPerMatVec: number;
  /** Weight bytes read per second / 1e9. */
  GBps: number;
  /** GBps ÷ the shader copy kernel's read bandwidth. */
  fractionOfCopyKernel: number;
  /** GBps ÷ copyBufferToBuffer's read bandwidth. */
  fractionOfBufferCopy: number;
}

export interface MatMulBench {
  type: string;
  nIn: number;
  nOut: number;
  nTokens: number;
  seconds: number;
  /** 2 * nIn * nOut * nTokens / seconds / 1e9. */
  GFLOPS: number;
}

export interface LinearBenchResult {
  device: string;
  bufferCopy: CopyBench;
  copyKernel: CopyBench;
  matvec: MatVecBench[];
  matmul: MatMulBench[];
}

const COPY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = arrayLength(&dst);
  for (var i = id.x; i < n; i += nwg.x * 256u) {
    dst[i] = src[i];
  }
}`;

async function timeSubmit(device: GPUDevice, encode: (enc: GPUCommandEncoder) => void): Promise<number> {
  const enc = device.createCommandEncoder();
  encode(enc);
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / 1000;
}

async function benchCopy(device: GPUDevice, bytes: number, reps: number): Promise<{ buffer: CopyBench; kernel: CopyBench }> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = device.createBuffer({ size: bytes, usage });
  const b = device.createBuffer({ size: bytes, usage });
  const fill = new Uint8Array(Math.min(bytes, 16 * 2 ** 20)).map((_, i) => i * 7);
  for (let o = 0; o < bytes; o += fill.length) device.queue.writeBuffer(a, o, fill, 0, Math.min(fill.length, bytes - o));
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: COPY_WGSL }), entryPoint: 'main' } });
  const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: b } }] });
  const kernel = (enc: GPUCommandEncoder): void => {
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(Math.min(4096, Math.ceil(bytes / 16 / 256)));
    pass.end();
  };
  await timeSubmit(device, (enc) => enc.copyBufferToBuffer(a, 0, b, 0, bytes));
  await timeSubmit(device, kernel);
  const tb = await timeSubmit(device, (enc) => {
    for (let i = 0; i < reps; i++) enc.copyBufferToBuffer(i % 2 ? b : a, 0, i % 2 ? a : b, 0, bytes);
  });
  const tk = await timeSubmit(device, (enc) => {
    for (let i = 0; i < reps; i++) kernel(enc);
  });
  a.destroy();
  b.destroy();
  const mk = (s: number): CopyBench => ({ bytes: bytes * reps, seconds: s, GBps: (bytes * reps) / s / 1e9 });
  return { buffer: mk(tb), kernel: mk(tk) };
}

/** A valid [nOut][nIn] weight: 64 properly quantized random rows, repeated (content does not affect speed). */
function tiledSource(type: GGMLType, nIn: number, seed: number): (offset: number, length: number) => Promise<Uint8Array> {
  let s = seed;
  const v = new Float32Array(64 * nIn).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32 - 0.5) * 0.1;
  });
  const tile = quantize(type, v);
  return async (offset, length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const o = (offset + i) % tile.length;
      const n = Math.min(tile.length - o, length - i);
      out.set(tile.subarray(o, o + n), i);
      i += n;
    }
    return out;
  };
}

export async function runLinearBench(opts: LinearBenchOptions = {}): Promise<LinearBenchResult> {
  const log = opts.log ?? (() => undefined);
  const ctx = opts.ctx ?? (await openDevice());
  const { device } = ctx;
  const nIn = opts.nIn ?? 4096;
  const nOut = opts.nOut ?? 4096;
  const minBytes = opts.minBytes ?? 160e6;
  const sweeps = opts.sweeps ?? 3;
  try {
    log(`linear bench on ${describeDevice(ctx.info)}`);
    const copy = opts.copy ?? (await benchCopy(device, 64 * 2 ** 20, 8));
    log(`copyBufferToBuffer: ${copy.buffer.GBps.toFixed(2)} GB/s copied; copy kernel: ${copy.kernel.GBps.toFixed(2)} GB/s copied`);
    const lk = new LinearKernels(ctx, opts.kernels);
    const results: MatVecBench[] = [];
    const mm: MatMulBench[] = [];
    const nTok = opts.matmulTokens ?? 128;
    const x = device.createBuffer({ size: nIn * 4 * Math.max(1, nTok), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(x, 0, new Float32Array(nIn * Math.max(1, nTok)).fill(0.01));
    const y = device.createBuffer({ size: nOut * 4 * Math.max(1, nTok), usage: GPUBufferUsage.STORAGE });
    for (const type of opts.types ?? [GGMLType.Q8_0, GGMLType.Q4_K]) {
      const bytes = (nIn * nOut * GGML_BLOCK[type].typeSize) / GGML_BLOCK[type].blockSize;
      const count = Math.max(1, Math.ceil(minBytes / bytes));
      const weights: GpuWeight[] = [];
      try {
        for (let i = 0; i < count; i++) weights.push(await uploadWeight(ctx, { name: `bench${i}`, type, dims: [nIn, nOut] }, tiledSource(type, nIn, i + 1)));
        const sweep = (enc: GPUCommandEncoder): void => {
          const pass = enc.beginComputePass();
          for (const w of weights) lk.encodeMatVec(pass, w, x, y, 1);
          pass.end();
        };
        await timeSubmit(device, sweep); // compile + first touch
        const t = await timeSubmit(device, (enc) => {
          for (let s = 0; s < sweeps; s++) sweep(enc);
        });
        const per = t / (sweeps * count);
        const GBps = bytes / per / 1e9;
        const r: MatVecBench = {
          type: GGMLType[type],
          nIn,
          nOut,
          bytes,
          secondsPerMatVec: per,
          GBps,
          fractionOfCopyKernel: GBps / copy.kernel.GBps,
          fractionOfBufferCopy: GBps / copy.buffer.GBps,
        };
        results.push(r);
        log(`${r.type} mat-vec ${nOut}×${nIn}: ${(per * 1e3).toFixed(2)} ms, ${GBps.toFixed(2)} GB/s = ${(100 * r.fractionOfCopyKernel).toFixed(0)}% of the copy kernel, ${(100 * r.fractionOfBufferCopy).toFixed(0)}% of copyBufferToBuffer`);
        if (nTok > 0) {
          const w = weights[0];
          const once = (enc: GPUCommandEncoder): void => lk.encodeMatVec(enc, w, x, y, nTok);
          await timeSubmit(device, once);
          const tm = await timeSubmit(device, (enc) => {
            for (let s = 0; s < sweeps; s++) once(enc);
          });
          const m: MatMulBench = { type: GGMLType[type], nIn, nOut, nTokens: nTok, seconds: tm / sweeps, GFLOPS: (2 * nIn * nOut * nTok) / (tm / sweeps) / 1e9 };
          mm.push(m);
          log(`${m.type} mat-mul ${nOut}×${nIn} × ${nTok} tokens: ${(m.seconds * 1e3).toFixed(1)} ms, ${m.GFLOPS.toFixed(1)} GFLOP/s`);
        }
      } finally {
        for (const w of weights) w.destroy();
      }
    }
    x.destroy();
    y.destroy();
    return { device: describeDevice(ctx.info), bufferCopy: copy.buffer, copyKernel: copy.kernel, matvec: results, matmul: mm };
  } finally {
    if (!opts.ctx) device.destroy();
  }
}

if (require.main === module) {
  const types = process.argv.slice(2).map((n) => GGMLType[n as keyof typeof GGMLType]).filter((t) => t !== undefined);
  runLinearBench({ log: (l) => console.log(l), types: types.length ? types : undefined })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
