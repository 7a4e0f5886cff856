// Benchmark measurements behind `selfextend bench` (criterion 10): this engine vs llama.cpp
// (node-llama-cpp, CPU) on the same file in the same run, plus device copy and Q8_0 mat-vec bandwidth.
import * as os from 'node:os';
import { openDevice, type GpuContext } from '../device/gpu-device';
import { GGMLType } from '../gguf/types';
import { LinearKernels, uploadWeightBytes } from '../kernels/linear/index';
import { quantize } from '../quant/index';
import { Engine } from './engine';
import type { GpuModel } from './model';
import type { GenerateOptions } from './types';
import type { SelfExtendParams } from '../attention/types';
import type { Token } from 'node-llama-cpp';
import { benchAttention, type AttentionBenchResult } from '../attention/bench';

/** node-llama-cpp brands token ids; ours are plain vocabulary indices of the same file. */
const tokens = (ids: number[]): Token[] => ids as unknown as Token[];

export const PREFILL_SIZES = [128, 512, 2048] as const;
export const SHORT_CTX = 16;
export const LONG_CTX = 1920;
const DECODE_SHORT = 64;
const DECODE_LONG = 32;

export interface SideFigures {
  prefill: Record<string, number>;
  decodeShort: number;
  decodeLong: number;
}

export interface BenchResult {
  model: string;
  device: string;
  nParams: number;
  weightBytes: number;
  engine: SideFigures & { decodeLongSelfExtend: number; selfExtend: SelfExtendParams };
  llamaCpp: (SideFigures & { threads: Record<string, number> }) | { error: string };
  bandwidth: { copyGBps: number; q8MatvecGBps: number; fractionOfCopy: number; decodeWeightGBps: number };
  /** SelfExtend vs plain attention at the same lengths (attention only, one layer of this model's head shape). */
  attention: AttentionBenchResult[];
}

/** Lengths for the attention comparison; 8K is where the paper's naive version doubles the cost. */
export const ATTENTION_LENGTHS = [512, 2048, 8192] as const;

/**
 * SelfExtend vs plain attention, same module, same inputs, alternating runs (gpu/attention/bench.ts).
 * G = 4 and W = 256 put most keys of every length past the neighbour window, so boundary and grouped
 * tiles dominate: the worst case for SelfExtend's overhead.
 */
export async function attentionFigures(
  shape: { nHeads: number; nKvHeads: number; headDim: number },
  log: (s: string) => void,
  lengths: readonly number[] = ATTENTION_LENGTHS,
): Promise<AttentionBenchResult[]> {
  const ctx = await openDevice();
  const out: AttentionBenchResult[] = [];
  try {
    for (const T of lengths) {
      const r = await benchAttention(ctx, { T, heads: shape.nHeads, kvHeads: shape.nKvHeads, headDim: shape.headDim, G: 4, W: 256, reps: T >= 8192 ? 1 : 2 });
      log(
        `attention T=${T}: prefill plain ${r.plain.prefillMs.toFixed(0)} ms, SelfExtend ${r.selfExtendSide.prefillMs.toFixed(0)} ms ` +
          `(${r.prefillOverheadPct.toFixed(1)}%); decode plain ${r.plain.decodeMs.toFixed(2)} ms, SelfExtend ${r.selfExtendSide.decodeMs.toFixed(2)} ms ` +
          `(${r.decodeOverheadPct.toFixed(1)}%)`,
      );
      out.push(r);
    }
  } finally {
    ctx.device.destroy();
  }
  return out;
}

function randomIds(n: number, vocab: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out.push(3 + (a % (vocab - 3)));
  }
  return out;
}

async function run(m: GpuModel, ids: number[], opts: GenerateOptions): Promise<{ prefillTps: number; decodeTps: number; n: number }> {
  let last = { prefillTps: 0, decodeTps: 0 };
  let n = 0;
  for await (const c of m.generate(ids, { greedy: true, addBos: false, ...opts })) {
    last = c.timings;
    n += c.ids.length;
  }
  return { prefillTps: last.prefillTps, decodeTps: last.decodeTps, n };
}

async function engineFigures(m: GpuModel, log: (s: string) => void): Promise<BenchResult['engine']> {
  const V = m.config.vocabSize;
  await run(m, randomIds(16, V, 1), { maxTokens: 2, reuseCache: false }); // compile pipelines
  const prefill: Record<string, number> = {};
  for (const n of PREFILL_SIZES) {
    prefill[n] = (await run(m, randomIds(n, V, 2048).slice(0, n), { maxTokens: 1, reuseCache: false })).prefillTps;
    log(`engine prefill ${n}: ${prefill[n].toFixed(1)} tok/s`);
  }
  // The long context is a prefix of the 2048-token prefill still in the KV cache: prefix reuse restores
  // it instead of recomputing it (decode speed is what is measured here).
  const long = randomIds(2048, V, 2048).slice(0, LONG_CTX);
  const decodeLong = (await run(m, long, { maxTokens: DECODE_LONG })).decodeTps;
  log(`engine decode @${LONG_CTX}: ${decodeLong.toFixed(1)} tok/s`);
  const L = m.config.contextLength;
  const G = 4;
  const W = Math.max(G, Math.min(512, Math.floor(L / 2 / G) * G));
  const selfExtend = { groupSize: G, neighborWindow: W };
  const decodeLongSelfExtend = (await run(m, long, { maxTokens: DECODE_LONG, selfExtend })).decodeTps;
  log(`engine decode @${LONG_CTX} SelfExtend G=${G} W=${W}: ${decodeLongSelfExtend.toFixed(1)} tok/s`);
  const decodeShort = (await run(m, randomIds(SHORT_CTX, V, 7), { maxTokens: DECODE_SHORT, reuseCache: false })).decodeTps;
  log(`engine decode @${SHORT_CTX}: ${decodeShort.toFixed(1)} tok/s`);
  return { prefill, decodeShort, decodeLong, decodeLongSelfExtend, selfExtend };
}

/**
 * llama.cpp at 1 thread and at all cores, best of the two per metric: its worker threads spin on
 * barriers, so on an oversubscribed machine more threads can be 50x slower for single-token decode.
 */
async function llamaCppBest(path: string, vocab: number, log: (s: string) => void): Promise<SideFigures & { threads: Record<string, number> }> {
  const counts = [...new Set([1, os.cpus().length])];
  const runs: Array<{ t: number; f: SideFigures }> = [];
  for (const t of counts) runs.push({ t, f: await llamaCppFigures(path, vocab, t, (s) => log(`${s} (${t} thread${t > 1 ? 's' : ''})`)) });
  const best = (get: (f: SideFigures) => number): { v: number; t: number } =>
    runs.reduce((a, r) => (get(r.f) > a.v ? { v: get(r.f), t: r.t } : a), { v: -1, t: 0 });
  const prefill: Record<string, number> = {};
  const threads: Record<string, number> = {};
  for (const n of PREFILL_SIZES) {
    const b = best((f) => f.prefill[n]);
    prefill[n] = b.v;
    threads[`prefill_${n}`] = b.t;
  }
  const ds = best((f) => f.decodeShort);
  const dl = best((f) => f.decodeLong);
  threads.decode_short = ds.t;
  threads.decode_long = dl.t;
  return { prefill, decodeShort: ds.v, decodeLong: dl.v, threads };
}

async function llamaCppFigures(path: string, vocab: number, threads: number, log: (s: string) => void): Promise<SideFigures> {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: path });
  const ctx = await model.createContext({ contextSize: 2048 + 128, batchSize: 512, threads });
  try {
    const seq = ctx.getSequence();
    const prefill: Record<string, number> = {};
    await seq.evaluateWithoutGeneratingNewTokens(tokens(randomIds(16, vocab, 1)));
    for (const n of PREFILL_SIZES) {
      await seq.clearHistory();
      const ids = randomIds(n, vocab, n);
      const t0 = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(tokens(ids));
      prefill[n] = (n * 1000) / (performance.now() - t0);
      log(`llama.cpp prefill ${n}: ${prefill[n].toFixed(1)} tok/s`);
    }
    const decode = async (ctxLen: number, steps: number, seed: number): Promise<number> => {
      await seq.clearHistory();
      const ids = randomIds(ctxLen, vocab, seed);
      await seq.evaluateWithoutGeneratingNewTokens(tokens(ids.slice(0, -1)));
      let n = 0;
      const t0 = performance.now();
      for await (const t of seq.evaluate(tokens(ids.slice(-1)), { temperature: 0 })) {
        void t;
        if (++n >= steps) break;
      }
      return (n * 1000) / (performance.now() - t0);
    };
    const decodeShort = await decode(SHORT_CTX, DECODE_SHORT, 7);
    log(`llama.cpp decode @${SHORT_CTX}: ${decodeShort.toFixed(1)} tok/s`);
    const decodeLong = await decode(LONG_CTX, DECODE_LONG, 9);
    log(`llama.cpp decode @${LONG_CTX}: ${decodeLong.toFixed(1)} tok/s`);
    return { prefill, decodeShort, decodeLong };
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

/** Device copy bandwidth (bytes read + written per second) and Q8_0 mat-vec weight-read bandwidth. */
export async function bandwidthFigures(ctx?: GpuContext): Promise<{ copyGBps: number; q8MatvecGBps: number }> {
  const own = !ctx;
  const c = ctx ?? (await openDevice());
  const d = c.device;
  try {
    const size = 64 * 2 ** 20;
    const a = d.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.STORAGE });
    const b = d.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.STORAGE });
    const time = async (reps: number, record: (e: GPUCommandEncoder) => void): Promise<number> => {
      const enc = d.createCommandEncoder();
      for (let i = 0; i < reps; i++) record(enc);
      const t0 = performance.now();
      d.queue.submit([enc.finish()]);
      await d.queue.onSubmittedWorkDone();
      return (performance.now() - t0) / 1000;
    };
    await time(1, (e) => e.copyBufferToBuffer(a, 0, b, 0, size));
    const tc = await time(4, (e) => e.copyBufferToBuffer(a, 0, b, 0, size));
    const copyGBps = (2 * 4 * size) / tc / 1e9;
    a.destroy();
    b.destroy();

    // Q8_0 4096 x 4096 (17.8 MB), a typical decode mat-vec.
    const nIn = 4096;
    const nOut = 4096;
    let s = 12345;
    const vals = new Float32Array(nIn * nOut);
    for (let i = 0; i < vals.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      vals[i] = s / 2 ** 32 - 0.5;
    }
    const w = await uploadWeightBytes(c, { name: 'bench.q8', type: GGMLType.Q8_0, dims: [nIn, nOut] }, quantize(GGMLType.Q8_0, vals));
    const lk = new LinearKernels(c);
    const x = d.createBuffer({ size: nIn * 4, usage: GPUBufferUsage.STORAGE });
    const y = d.createBuffer({ size: nOut * 4, usage: GPUBufferUsage.STORAGE });
    await time(2, (e) => lk.encodeMatVec(e, w, x, y, 1));
    const reps = 8;
    const tm = await time(reps, (e) => lk.encodeMatVec(e, w, x, y, 1));
    const q8MatvecGBps = (reps * w.byteLength) / tm / 1e9;
    w.destroy();
    x.destroy();
    y.destroy();
    return { copyGBps, q8MatvecGBps };
  } finally {
    if (own) d.destroy();
  }
}

/** Bytes of weights one decode step reads: every matrix except the embedding (one row of it). */
function decodeBytesPerToken(m: GpuModel): number {
  let total = 0;
  for (const [name, n] of Object.entries(m.weightBytesByTensor())) if (name !== 'token_embd.weight' || m.config.tiedEmbeddings) total += n;
  return total;
}

export async function runBench(path: string, log: (s: string) => void, opts: { skipLlamaCpp?: boolean; attentionLengths?: readonly number[] } = {}): Promise<BenchResult> {
  const m = await Engine.load(path, { maxContext: 2048 + 128 });
  let engine: BenchResult['engine'];
  let bw: { copyGBps: number; q8MatvecGBps: number };
  let attention: AttentionBenchResult[];
  const weightBytes = decodeBytesPerToken(m);
  try {
    engine = await engineFigures(m, log);
    bw = await bandwidthFigures();
    attention = await attentionFigures(m.config, log, opts.attentionLengths);
  } finally {
    m.dispose();
  }
  log(`copy ${bw.copyGBps.toFixed(2)} GB/s, Q8_0 mat-vec ${bw.q8MatvecGBps.toFixed(2)} GB/s`);
  let llamaCpp: BenchResult['llamaCpp'];
  if (opts.skipLlamaCpp) llamaCpp = { error: 'skipped (--no-llama-cpp)' };
  else {
    try {
      llamaCpp = await llamaCppBest(path, m.config.vocabSize, log);
    } catch (e) {
      llamaCpp = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return {
    model: path,
    device: m.device.description + (m.device.isSoftware ? ' (software)' : ''),
    nParams: m.config.nParams,
    weightBytes,
    engine,
    llamaCpp,
    bandwidth: {
      ...bw,
      fractionOfCopy: bw.q8MatvecGBps / bw.copyGBps,
      decodeWeightGBps: (weightBytes * engine.decodeShort) / 1e9,
    },
    attention,
  };
}
