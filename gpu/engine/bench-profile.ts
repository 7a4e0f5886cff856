// `selfextend bench --profile`: the host side of a decode step on a Qwen2.5-1.5B-shaped model. Per
// decode token: dispatches, compute passes, submits, queue writes, host record+submit time, decode time,
// the engine thread's CPU time (from /proc) and garbage collection; per kernel family: GPU time from
// timestamp-query (one pass per kernel, so each pass is one family); greedy vs default sampling; and
// the step timeline (when step N+1 was submitted relative to reading step N's id).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GGMLType } from '../gguf/types';
import { writeSyntheticModel } from '../model/synthetic';
import { Engine } from './engine';
import type { GpuModel } from './model';
import type { GenerateOptions } from './types';
import {
  GcMeter,
  TimestampCollector,
  diffCounts,
  installCommandCounters,
  mainThreadCpuMs,
  setTimestampCollector,
  snapshot,
  type CommandCounts,
  type StepKind,
  type StepProfiler,
} from './profile';

/**
 * Qwen2.5-1.5B's layout (28 layers, 12 query / 2 KV heads, head dim 128, vocabulary 151,936, tied
 * embeddings, q/k/v biases) with the model width and FFN shrunk (256 / 512): no count per token changes.
 */
export const QWEN15_SHAPE = { architecture: 'qwen2', nLayers: 28, nHeads: 12, nKvHeads: 2, headDim: 128, vocabSize: 151936, dim: 256, ffnDim: 512, contextLength: 4096 } as const;

export async function qwen15ShapedModel(dir = 'tmp'): Promise<string> {
  const file = path.join(dir, 'bench-qwen2-1.5B-shape-Q4_K.gguf');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    await writeSyntheticModel(file, { ...QWEN15_SHAPE, type: GGMLType.Q4_K, tied: true, seed: 15 });
  }
  return file;
}

export interface ModeFigures {
  /** Per decode token, averaged over the measured steps. */
  dispatches: number;
  passes: number;
  submits: number;
  writeBuffers: number;
  copies: number;
  /** Host time to record + finish + submit one decode step (mean and median, ms). */
  recordMs: number;
  recordMedianMs: number;
  /** Fastest step: on a shared machine the mean is dominated by the thread being preempted mid-record. */
  recordMinMs: number;
  /** Wall time per decoded token (ms). */
  decodeMs: number;
  /** CPU time of the engine's thread per decoded token (ms, /proc; null without /proc). */
  threadCpuMs: number | null;
  /** threadCpuMs / recordMs: 1 = the thread does nothing but record; large = it spins while waiting. */
  cpuToRecord: number | null;
  /** Garbage collection time as a share of the thread's CPU time over the run. */
  gcShare: number | null;
  steps: number;
}

export interface TimelineStep {
  step: number;
  submittedMs: number;
  readStartMs: number;
  readDoneMs: number;
}

export interface ProfileResult {
  model: string;
  device: string;
  timestampQuery: boolean;
  /** Recording modes measured in the same run (A/B). */
  modes: Record<string, ModeFigures>;
  /** Default sampling (top-k 40, top-p 0.95, T 0.8) vs greedy, ms per token (wall), same mode. */
  sampling: { greedyMs: number; defaultMs: number; ratio: number; mode: string };
  /**
   * The same from GPU time (timestamp-query, last mode: forward pass + sampler pass per token), which a
   * shared machine disturbs less than wall time: greedy and default sampler ms, and the per-token ratio.
   */
  samplingGpu: { forwardMs: number; greedySamplerMs: number; defaultSamplerMs: number; ratio: number } | null;
  /** GPU ms per decode token per kernel family (timestamp-query; empty when unsupported). */
  gpuMsPerToken: Record<string, number>;
  gpuMode: string;
  /** Submit / read times of consecutive decode steps (relative ms), from the last mode. */
  timeline: TimelineStep[];
  /** True when step N+1 was submitted before step N's id was read back, for every step in the timeline. */
  pipelined: boolean;
}

class Recorder implements StepProfiler {
  recordMs: number[] = [];
  decodeCounts: CommandCounts = { dispatches: 0, passes: 0, submits: 0, writeBuffers: 0, copies: 0 };
  decodeSteps = 0;
  private before: CommandCounts | null = null;
  private readonly t0 = performance.now();
  events = new Map<number, TimelineStep>();
  constructor(private readonly counts: CommandCounts) {}
  private ev(step: number): TimelineStep {
    let e = this.events.get(step);
    if (!e) this.events.set(step, (e = { step, submittedMs: NaN, readStartMs: NaN, readDoneMs: NaN }));
    return e;
  }
  beforeRecord(kind: StepKind): void {
    this.before = kind === 'decode' ? snapshot(this.counts) : null;
  }
  submitted(kind: StepKind, step: number, hostMs: number): void {
    if (kind !== 'decode' || !this.before) return;
    // The submit itself happened inside the measured window; count it too.
    const d = diffCounts(this.before, this.counts);
    for (const k of Object.keys(d) as Array<keyof CommandCounts>) this.decodeCounts[k] += d[k];
    this.decodeSteps++;
    this.recordMs.push(hostMs);
    this.ev(step).submittedMs = performance.now() - this.t0;
  }
  readStart(step: number): void {
    this.ev(step).readStartMs = performance.now() - this.t0;
  }
  readDone(step: number): void {
    this.ev(step).readDoneMs = performance.now() - this.t0;
  }
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** Generates `tokens` tokens (no stop) and measures the decode part. */
async function measure(m: GpuModel, counts: CommandCounts, prompt: number[], tokens: number, opts: GenerateOptions): Promise<{ fig: ModeFigures; rec: Recorder }> {
  const rec = new Recorder(counts);
  m.profiler = rec;
  const gc = new GcMeter();
  let cpu0: number | null = null;
  let gc0 = { ms: 0, count: 0 };
  let tDecode0 = 0;
  let n = 0;
  try {
    for await (const c of m.generate(prompt, { addBos: false, reuseCache: false, maxTokens: tokens, stop: [], ...opts })) {
      n += c.ids.length;
      if (n === 1) {
        // decode starts after the first token (prefill) was handed out
        await new Promise((r) => setImmediate(r));
        cpu0 = mainThreadCpuMs();
        gc0 = gc.read();
        tDecode0 = performance.now();
      }
    }
  } finally {
    m.profiler = null;
  }
  const wall = performance.now() - tDecode0;
  const cpu1 = mainThreadCpuMs();
  await new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
  const gc1 = gc.read();
  gc.stop();
  const steps = Math.max(1, rec.decodeSteps);
  const decoded = Math.max(1, n - 1);
  const recordMs = rec.recordMs.reduce((a, b) => a + b, 0) / Math.max(1, rec.recordMs.length);
  const threadCpu = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / decoded : null;
  const fig: ModeFigures = {
    dispatches: rec.decodeCounts.dispatches / steps,
    passes: rec.decodeCounts.passes / steps,
    submits: rec.decodeCounts.submits / steps,
    writeBuffers: rec.decodeCounts.writeBuffers / steps,
    copies: rec.decodeCounts.copies / steps,
    recordMs,
    recordMedianMs: median(rec.recordMs),
    recordMinMs: Math.min(...rec.recordMs),
    decodeMs: wall / decoded,
    threadCpuMs: threadCpu,
    cpuToRecord: threadCpu !== null ? threadCpu / recordMs : null,
    gcShare: cpu0 !== null && cpu1 !== null && cpu1 > cpu0 ? (gc1.ms - gc0.ms) / (cpu1 - cpu0) : null,
    steps,
  };
  return { fig, rec };
}

export interface ProfileOptions {
  /** Recording modes to compare (each a function that switches the loaded model to it). */
  modes: Record<string, (m: GpuModel) => void>;
  /** Decode tokens per measured run. */
  tokens?: number;
  promptTokens?: number;
}

export async function runProfile(file: string, log: (s: string) => void, o: ProfileOptions): Promise<ProfileResult> {
  const tokens = o.tokens ?? 17;
  const m = await Engine.load(file, { maxContext: 1024 });
  try {
    const counts = installCommandCounters();
    const V = m.config.vocabSize;
    const prompt = randomIds(o.promptTokens ?? 32, V, 11);
    const modes: Record<string, ModeFigures> = {};
    let last: Recorder | null = null;
    let lastMode = '';
    for (const [name, set] of Object.entries(o.modes)) {
      set(m);
      await measure(m, counts, prompt, 3, { greedy: true }); // compile pipelines, warm caches
      const { fig, rec } = await measure(m, counts, prompt, tokens, { greedy: true });
      modes[name] = fig;
      last = rec;
      lastMode = name;
      log(
        `${name}: ${fig.dispatches.toFixed(0)} dispatches, ${fig.passes.toFixed(0)} passes, ${fig.submits.toFixed(1)} submits per token; ` +
          `record+submit ${fig.recordMs.toFixed(2)} ms (median ${fig.recordMedianMs.toFixed(2)}); decode ${fig.decodeMs.toFixed(1)} ms/token; ` +
          `thread CPU ${fig.threadCpuMs?.toFixed(1) ?? '-'} ms/token; GC ${fig.gcShare !== null ? (100 * fig.gcShare).toFixed(1) + '%' : '-'}`,
      );
    }
    // Sampling cost in the last mode: alternate greedy and default sampling so both see the same load.
    const g: number[] = [];
    const d: number[] = [];
    for (let r = 0; r < 1; r++) {
      g.push((await measure(m, counts, prompt, 9, { greedy: true })).fig.decodeMs);
      d.push((await measure(m, counts, prompt, 9, { temperature: 0.8, topK: 40, topP: 0.95, seed: 5 })).fig.decodeMs);
    }
    const sampling = { greedyMs: Math.min(...g), defaultMs: Math.min(...d), ratio: Math.min(...d) / Math.min(...g), mode: lastMode };
    log(`sampling (${lastMode}): greedy ${sampling.greedyMs.toFixed(1)} ms/token, top-k 40 + top-p 0.95 ${sampling.defaultMs.toFixed(1)} ms/token (×${sampling.ratio.toFixed(2)})`);

    // GPU time per kernel family, in the first mode (one pass per kernel attributes each pass to a family).
    let gpuMsPerToken: Record<string, number> = {};
    let samplingGpu: ProfileResult['samplingGpu'] = null;
    const firstMode = Object.keys(o.modes)[0];
    const tsq = m.device.features.timestampQuery;
    if (tsq) {
      o.modes[firstMode](m);
      gpuMsPerToken = await gpuTimes(m, counts, prompt, { greedy: true });
      log(`GPU ms per decode token (${firstMode}): ${Object.entries(gpuMsPerToken).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      o.modes[lastMode](m);
      const g = await gpuTimes(m, counts, prompt, { greedy: true });
      const d = await gpuTimes(m, counts, prompt, { temperature: 0.8, topK: 40, topP: 0.95, seed: 5 });
      const rest = (t: Record<string, number>): number => Object.entries(t).reduce((a, [k, v]) => a + (k === 'sampler' ? 0 : v), 0);
      const fwd = rest(g);
      samplingGpu = { forwardMs: fwd, greedySamplerMs: g.sampler ?? 0, defaultSamplerMs: d.sampler ?? 0, ratio: (fwd + (d.sampler ?? 0)) / (fwd + (g.sampler ?? 0)) };
      log(`GPU ms per token (${lastMode}): forward ${fwd.toFixed(2)}, sampler greedy ${samplingGpu.greedySamplerMs.toFixed(2)}, default ${samplingGpu.defaultSamplerMs.toFixed(2)} (×${samplingGpu.ratio.toFixed(2)})`);
    }
    const timeline = last ? [...last.events.values()].sort((a, b) => a.step - b.step).slice(1, 7) : [];
    const t0 = timeline[0]?.submittedMs ?? 0;
    for (const e of timeline) {
      e.submittedMs -= t0;
      e.readStartMs -= t0;
      e.readDoneMs -= t0;
    }
    // Step N+1 submitted before step N's id was read back.
    const pipelined = timeline.length > 1 && timeline.slice(0, -1).every((e, i) => timeline[i + 1].submittedMs < e.readDoneMs);
    return {
      model: file,
      device: m.device.description + (m.device.isSoftware ? ' (software)' : ''),
      timestampQuery: tsq,
      modes,
      sampling,
      samplingGpu,
      gpuMsPerToken,
      gpuMode: tsq ? firstMode : '',
      timeline,
      pipelined,
    };
  } finally {
    m.dispose();
  }
}

/** GPU ms per decode token per kernel family over a few decode steps (timestamp-query on every pass). */
async function gpuTimes(m: GpuModel, counts: CommandCounts, prompt: number[], opts: GenerateOptions): Promise<Record<string, number>> {
  const dev = m.gpuDevice();
  if (!dev) return {};
  const col = new TimestampCollector(dev);
  const rec = new Recorder(counts);
  // Only decode steps are timed: the collector is switched on around each decode record.
  m.profiler = {
    beforeRecord: (kind) => {
      setTimestampCollector(kind === 'decode' ? col : null);
      rec.beforeRecord(kind);
    },
    submitted: (kind, step, ms) => {
      setTimestampCollector(null);
      rec.submitted(kind, step, ms);
    },
    readStart: () => undefined,
    readDone: () => undefined,
  };
  try {
    for await (const c of m.generate(prompt, { addBos: false, reuseCache: false, maxTokens: 5, ...opts })) void c;
  } finally {
    m.profiler = null;
    setTimestampCollector(null);
  }
  const t = await col.collect();
  col.destroy();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t).sort((a, b) => b[1] - a[1])) out[k] = v / Math.max(1, rec.decodeSteps);
  return out;
}

export function profileTable(r: ProfileResult): string {
  const names = Object.keys(r.modes);
  const f = (x: number | null, d = 1): string => (x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
  const row = (label: string, get: (m: ModeFigures) => string): string => `${label.padEnd(38)} ${names.map((n) => get(r.modes[n]).padStart(14)).join(' ')}`;
  const lines = [
    `model ${r.model}, device: ${r.device}; timestamp-query: ${r.timestampQuery ? 'yes' : 'no'}`,
    `${'per decode token'.padEnd(38)} ${names.map((n) => n.padStart(14)).join(' ')}`,
    row('compute dispatches', (m) => f(m.dispatches, 0)),
    row('compute passes', (m) => f(m.passes, 0)),
    row('submits', (m) => f(m.submits, 1)),
    row('queue writes', (m) => f(m.writeBuffers, 1)),
    row('buffer copies', (m) => f(m.copies, 1)),
    row('host record+submit ms (mean)', (m) => f(m.recordMs, 2)),
    row('host record+submit ms (median)', (m) => f(m.recordMedianMs, 2)),
    row('host record+submit ms (fastest step)', (m) => f(m.recordMinMs, 2)),
    row('decode ms (wall)', (m) => f(m.decodeMs, 1)),
    row('engine-thread CPU ms', (m) => f(m.threadCpuMs, 1)),
    row('thread CPU / record+submit', (m) => f(m.cpuToRecord, 2)),
    row('GC share of thread CPU', (m) => (m.gcShare === null ? '-' : `${(100 * m.gcShare).toFixed(1)}%`)),
  ];
  if (names.length === 2) {
    const [a, b] = names;
    lines.push(
      `record+submit ${b} / ${a}: mean ${(r.modes[b].recordMs / r.modes[a].recordMs).toFixed(2)}, median ${(r.modes[b].recordMedianMs / r.modes[a].recordMedianMs).toFixed(2)}, fastest ${(r.modes[b].recordMinMs / r.modes[a].recordMinMs).toFixed(2)}`,
    );
  }
  lines.push(`sampling (${r.sampling.mode}): greedy ${f(r.sampling.greedyMs)} ms/token, top-k 40 + top-p 0.95 ${f(r.sampling.defaultMs)} ms/token, ratio ${f(r.sampling.ratio, 2)}`);
  if (r.samplingGpu) {
    const g = r.samplingGpu;
    lines.push(`sampling, GPU time (${r.sampling.mode}): forward ${f(g.forwardMs, 2)} ms + sampler greedy ${f(g.greedySamplerMs, 2)} / default ${f(g.defaultSamplerMs, 2)} ms per token, ratio ${f(g.ratio, 2)}`);
  }
  if (Object.keys(r.gpuMsPerToken).length) {
    lines.push(`GPU ms per decode token by kernel family (${r.gpuMode}, timestamp-query):`);
    for (const [k, v] of Object.entries(r.gpuMsPerToken)) lines.push(`  ${k.padEnd(24)} ${v.toFixed(2)}`);
  }
  if (r.timeline.length) {
    lines.push(`timeline (ms; step N+1 submitted before N's id was read back: ${r.pipelined ? 'yes' : 'no'}):`);
    for (const e of r.timeline) lines.push(`  step ${String(e.step).padStart(3)}: submitted ${f(e.submittedMs, 2).padStart(8)}  read ${f(e.readStartMs, 2).padStart(8)} .. ${f(e.readDoneMs, 2).padStart(8)}`);
  }
  return lines.join('\n') + '\n';
}
