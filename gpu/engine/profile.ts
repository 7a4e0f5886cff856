// Measurement plumbing for `selfextend bench --profile`: what the host does per decode step (dispatches,
// compute passes, submits, queue writes, record time), where the GPU time goes per kernel family
// (timestamp-query), and what the engine's thread burns (CPU time from /proc, garbage collection).
// Nothing here runs unless a benchmark installs it; the engine only calls an optional StepProfiler.
import * as fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export type StepKind = 'prefill' | 'decode';

/** Optional hooks GpuModel calls around each recorded step (GpuModel.profiler). */
export interface StepProfiler {
  /** Before a step's commands are recorded. */
  beforeRecord(kind: StepKind, step: number): void;
  /** After the step was recorded and submitted; hostMs = record + finish + submit on the engine's thread. */
  submitted(kind: StepKind, step: number, hostMs: number): void;
  /** The engine starts waiting for step's sampled id / is done reading it. */
  readStart(step: number): void;
  readDone(step: number): void;
}

/** Host-side command counts since install (monotonic; callers diff snapshots). */
export interface CommandCounts {
  dispatches: number;
  passes: number;
  submits: number;
  writeBuffers: number;
  copies: number;
}

let counts: CommandCounts | undefined;

type Proto = Record<string, unknown>;
function protoOf(name: string): Proto {
  const ctor = (globalThis as Record<string, unknown>)[name] as { prototype: Proto } | undefined;
  if (!ctor) throw new Error(`profile: ${name} is not installed (open a device first)`);
  return ctor.prototype;
}

function wrap(proto: Proto, method: string, before: (self: unknown, args: unknown[]) => void): void {
  const orig = proto[method] as (...a: unknown[]) => unknown;
  proto[method] = function (this: unknown, ...args: unknown[]): unknown {
    before(this, args);
    return orig.apply(this, args);
  };
}

/**
 * Counts dispatches, passes, submits, writeBuffer and buffer copies by wrapping Dawn's prototypes (once
 * per process; a device must have been opened so the WebGPU globals exist).
 */
export function installCommandCounters(): CommandCounts {
  if (counts) return counts;
  const c: CommandCounts = { dispatches: 0, passes: 0, submits: 0, writeBuffers: 0, copies: 0 };
  wrap(protoOf('GPUComputePassEncoder'), 'dispatchWorkgroups', () => c.dispatches++);
  wrap(protoOf('GPUCommandEncoder'), 'beginComputePass', () => c.passes++);
  wrap(protoOf('GPUCommandEncoder'), 'copyBufferToBuffer', () => c.copies++);
  wrap(protoOf('GPUQueue'), 'submit', () => c.submits++);
  wrap(protoOf('GPUQueue'), 'writeBuffer', () => c.writeBuffers++);
  installTimestampHooks();
  counts = c;
  return c;
}

export function snapshot(c: CommandCounts): CommandCounts {
  return { ...c };
}

export function diffCounts(a: CommandCounts, b: CommandCounts): CommandCounts {
  return { dispatches: b.dispatches - a.dispatches, passes: b.passes - a.passes, submits: b.submits - a.submits, writeBuffers: b.writeBuffers - a.writeBuffers, copies: b.copies - a.copies };
}

// ---- per-kernel-family GPU time (timestamp-query on every compute pass) ----

interface PassStamp {
  family: string;
  index: number;
}
interface PendingResolve {
  passes: PassStamp[];
  read: GPUBuffer;
}

/**
 * While active, every compute pass gets a begin/end timestamp pair and is attributed to the family of
 * the first pipeline it sets. Meaningful when each pass holds one kernel family (the per-kernel
 * recording); a pass holding a whole forward is reported as one family, 'forward (one pass)'.
 */
export class TimestampCollector {
  private readonly qs: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private next = 0;
  private open = new Map<GPUCommandEncoder, PassStamp[]>();
  private pending: PendingResolve[] = [];
  readonly capacity = 4096;

  constructor(private readonly device: GPUDevice) {
    this.qs = device.createQuerySet({ type: 'timestamp', count: this.capacity });
    this.resolve = device.createBuffer({ size: this.capacity * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  /** Timestamp writes for a new pass of `enc`, or undefined when the query set is full for this encoder. */
  passBegan(enc: GPUCommandEncoder): { writes: GPUComputePassTimestampWrites; stamp: PassStamp } | undefined {
    if (this.next + 2 > this.capacity) return undefined;
    const stamp: PassStamp = { family: '?', index: this.next };
    this.next += 2;
    let list = this.open.get(enc);
    if (!list) this.open.set(enc, (list = []));
    list.push(stamp);
    return { writes: { querySet: this.qs, beginningOfPassWriteIndex: stamp.index, endOfPassWriteIndex: stamp.index + 1 }, stamp };
  }

  /** Resolves the encoder's stamps into a readback buffer, recorded at the end of the encoder. */
  finishing(enc: GPUCommandEncoder): void {
    const list = this.open.get(enc);
    if (!list || list.length === 0) return;
    this.open.delete(enc);
    const first = list[0].index;
    const n = list[list.length - 1].index + 2 - first;
    const read = this.device.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.resolveQuerySet(this.qs, first, n, this.resolve, first * 8);
    enc.copyBufferToBuffer(this.resolve, first * 8, read, 0, n * 8);
    this.pending.push({ passes: list.map((p) => ({ ...p, index: p.index - first })), read });
    if (this.open.size === 0) this.next = 0; // indices are free again once every open encoder resolved
  }

  /** Milliseconds of GPU time per family over everything resolved so far; clears the list. */
  async collect(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.pending) {
      await p.read.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(p.read.getMappedRange());
      for (const s of p.passes) {
        const ns = Number(t[s.index + 1] - t[s.index]);
        if (ns >= 0 && ns < 1e11) out[s.family] = (out[s.family] ?? 0) + ns / 1e6;
      }
      p.read.unmap();
      p.read.destroy();
    }
    this.pending = [];
    return out;
  }

  destroy(): void {
    this.qs.destroy();
    this.resolve.destroy();
  }
}

let activeCollector: TimestampCollector | null = null;
const passStamp = new WeakMap<GPUComputePassEncoder, PassStamp>();

/** Turns per-pass timestamps on (a collector) or off (null). */
export function setTimestampCollector(c: TimestampCollector | null): void {
  activeCollector = c;
}

/** The kernel family of a pipeline label ('linear matvec Q4_K nt1' -> 'matvec', 'rmsnorm:main' -> 'rmsnorm'). */
export function familyOf(label: string): string {
  const l = label.toLowerCase();
  if (l.startsWith('linear ')) return l.split(' ')[1];
  if (l.startsWith('sampling')) return 'sampler';
  if (l.startsWith('elementwise')) return `elementwise ${l.split(':')[1] ?? ''}`.trim();
  if (/attention|attend|store|reduce|regroup/.test(l)) return 'attention';
  return l.split(/[:\s]/)[0] || 'unlabelled';
}

function installTimestampHooks(): void {
  const enc = protoOf('GPUCommandEncoder');
  const origBegin = enc['beginComputePass'] as (this: GPUCommandEncoder, d?: GPUComputePassDescriptor) => GPUComputePassEncoder;
  enc['beginComputePass'] = function (this: GPUCommandEncoder, d?: GPUComputePassDescriptor): GPUComputePassEncoder {
    const got = activeCollector?.passBegan(this);
    if (!got) return origBegin.call(this, d);
    const pass = origBegin.call(this, { ...(d ?? {}), timestampWrites: got.writes });
    passStamp.set(pass, got.stamp);
    return pass;
  };
  const origFinish = enc['finish'] as (this: GPUCommandEncoder, d?: GPUCommandBufferDescriptor) => GPUCommandBuffer;
  enc['finish'] = function (this: GPUCommandEncoder, d?: GPUCommandBufferDescriptor): GPUCommandBuffer {
    activeCollector?.finishing(this);
    return origFinish.call(this, d);
  };
  const pass = protoOf('GPUComputePassEncoder');
  const origSet = pass['setPipeline'] as (this: GPUComputePassEncoder, p: GPUComputePipeline) => void;
  const seen = new WeakSet<GPUComputePassEncoder>();
  pass['setPipeline'] = function (this: GPUComputePassEncoder, p: GPUComputePipeline): void {
    const s = passStamp.get(this);
    if (s) {
      const f = familyOf(p.label ?? '');
      if (!seen.has(this)) {
        seen.add(this);
        s.family = f;
      } else if (s.family !== f) s.family = 'forward (one pass)';
    }
    origSet.call(this, p);
  };
}

// ---- CPU time of the engine's thread, garbage collection ----

/** CPU milliseconds (user + system) of the calling thread, from /proc; null where /proc is missing. */
export function mainThreadCpuMs(): number | null {
  try {
    // The main JS thread's task id is the process id. Fields 14 and 15 (utime, stime) are in clock ticks
    // (USER_HZ, 100 on Linux); the command name (field 2) may hold spaces, so split after its ')'.
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Sums the durations of garbage collections observed while running. */
export class GcMeter {
  private total = 0;
  private count = 0;
  private readonly obs: PerformanceObserver;
  constructor() {
    this.obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.total += e.duration;
        this.count++;
      }
    });
    this.obs.observe({ entryTypes: ['gc'] });
  }
  read(): { ms: number; count: number } {
    return { ms: this.total, count: this.count };
  }
  stop(): void {
    this.obs.disconnect();
  }
}
