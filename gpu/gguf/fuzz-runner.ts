// Parent side of the GGUF fuzz harness: farms cases out to worker threads, kills any case that runs
// past the per-case limit (a hang), restarts dead workers (a crash), and checks each result against
// the documented bounds. Used by scripts/fuzz.ts and test/gguf/fuzz.test.ts.
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCorpus } from './fuzz-corpus';
import type { CaseResult, WorkerInit } from './fuzz-worker';

/**
 * Memory bound per case: loading may grow heapUsed + arrayBuffers by at most 64 MiB plus 4x the file
 * size (the engine path reads every tensor once, and the header's strings take ~2x their bytes).
 */
export function allocBound(fileSize: number): number {
  return 64 * 2 ** 20 + 4 * fileSize;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Parallel worker threads (default 1: the machine is shared). */
  workers?: number;
  /** Per-case wall-clock limit before the case counts as a hang (default 10 s). */
  caseTimeoutMs?: number;
  /** Repository root (for the fixtures). */
  root: string;
  /** First case index (to replay one case: start = i, cases = 1). */
  start?: number;
  /** Harness self-test: make these case indices hang, throw a non-GGUF error, or kill the worker. */
  inject?: { hang?: number; crash?: number; die?: number };
  onProgress?: (done: number, r: FuzzReport) => void;
}

export interface FuzzFailure {
  index: number;
  kind: 'crash' | 'hang' | 'over-memory' | 'unreadable';
  source: string;
  mutation: string;
  message: string;
}

export interface FuzzReport {
  cases: number;
  crashes: number;
  hangs: number;
  rejected: number;
  accepted: number;
  max_ms: number;
  over_memory: number;
  unreadable: number;
  max_alloc_mb: number;
  seed: number;
  corpus: number;
  byCode: Record<string, number>;
  failures: FuzzFailure[];
}

/**
 * A rejection message a person can act on: says something, bounded length, no formatting accidents,
 * no raw control characters copied from the file.
 */
export function isReadable(message: string): boolean {
  return message.length >= 12 && message.length <= 1000 && !/undefined|\[object |[\u0000-\u001f\u007f]/.test(message);
}

// tsx is resolved here, not in the worker: an eval worker resolves modules from the current directory.
const WORKER_BOOT = `
const { workerData } = require('node:worker_threads');
require(workerData.tsx);
require(workerData.entry);
`;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const tmp = mkdtempSync(join(tmpdir(), 'gguf-fuzz-'));
  const corpus = buildCorpus(opts.root).map((c, i) => {
    const path = join(tmp, `corpus-${i}.gguf`);
    writeFileSync(path, c.bytes);
    return { name: c.name, path };
  });
  const init: WorkerInit = { entry: join(__dirname, 'fuzz-worker.ts'), tsx: require.resolve('tsx/cjs'), corpus, seed: opts.seed, tmpDir: tmp, inject: opts.inject ?? {} };
  const limit = opts.caseTimeoutMs ?? 10_000;
  const start = opts.start ?? 0;
  const end = start + opts.cases;
  const r: FuzzReport = { cases: 0, crashes: 0, hangs: 0, rejected: 0, accepted: 0, max_ms: 0, over_memory: 0, unreadable: 0, max_alloc_mb: 0, seed: opts.seed, corpus: corpus.length, byCode: {}, failures: [] };
  let next = start;
  const fail = (f: FuzzFailure) => {
    if (r.failures.length < 50) r.failures.push(f);
  };

  const record = (res: CaseResult) => {
    r.cases++;
    r.max_ms = Math.max(r.max_ms, Math.round(res.ms));
    r.max_alloc_mb = Math.max(r.max_alloc_mb, Math.round((res.alloc / 2 ** 20) * 10) / 10);
    if (res.outcome === 'accepted') r.accepted++;
    else if (res.outcome === 'rejected') {
      r.rejected++;
      r.byCode[res.code!] = (r.byCode[res.code!] ?? 0) + 1;
      if (!isReadable(res.message!)) {
        r.unreadable++;
        fail({ index: res.index, kind: 'unreadable', source: res.source, mutation: res.mutation, message: res.message! });
      }
    } else {
      r.crashes++;
      fail({ index: res.index, kind: 'crash', source: res.source, mutation: res.mutation, message: res.message ?? '' });
    }
    if (res.alloc > allocBound(res.size)) {
      r.over_memory++;
      fail({ index: res.index, kind: 'over-memory', source: res.source, mutation: res.mutation, message: `grew memory by ${(res.alloc / 2 ** 20).toFixed(1)} MiB for a ${res.size}-byte file` });
    }
    opts.onProgress?.(r.cases, r);
  };

  // One lane per worker: a lane runs cases until none are left, replacing its worker after a hang or death.
  const lane = async (): Promise<void> => {
    while (next < end) {
      // execArgv: []: the parent may run under tsx's ESM loader, whose hooks deadlock an eval worker; the worker
      // registers tsx's CommonJS hook itself.
      const w = new Worker(WORKER_BOOT, { eval: true, execArgv: [], workerData: init, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
      await new Promise<void>((resolve, reject) => {
        let current = -1;
        let inFlight = false;
        let stopping = false;
        let timer: NodeJS.Timeout | undefined;
        let finished = false;
        const done = (err?: Error) => {
          if (finished) return;
          finished = true;
          if (timer) clearTimeout(timer);
          w.removeAllListeners();
          w.on('error', () => {}); // late errors from a worker we are discarding
          if (err) reject(err);
          else resolve();
        };
        const lost = (why: string) => {
          // The worker died with a case in flight: that case crashed the loader's process.
          clearTimeout(timer);
          inFlight = false;
          r.cases++;
          r.crashes++;
          fail({ index: current, kind: 'crash', source: '?', mutation: `case ${current} (replay with --start ${current} --cases 1)`, message: why });
          opts.onProgress?.(r.cases, r);
        };
        const send = () => {
          if (next >= end) {
            stopping = true;
            w.postMessage('stop');
            void w.terminate().then(() => done());
            return;
          }
          current = next++;
          inFlight = true;
          timer = setTimeout(() => {
            inFlight = false;
            stopping = true;
            r.cases++;
            r.hangs++;
            fail({ index: current, kind: 'hang', source: '?', mutation: `case ${current} (replay with --start ${current} --cases 1)`, message: `still running after ${limit} ms` });
            opts.onProgress?.(r.cases, r);
            void w.terminate().then(() => done());
          }, limit);
          w.postMessage({ index: current });
        };
        w.on('message', (m: CaseResult | 'ready') => {
          if (m === 'ready') return send();
          clearTimeout(timer);
          inFlight = false;
          record(m);
          send();
        });
        w.on('error', (e) => {
          if (current < 0) return done(e); // the worker could not even start: a harness problem
          if (inFlight) lost(`worker died: ${e.message}`);
          done();
        });
        w.on('exit', (code) => {
          if (current < 0 && !stopping) return done(new Error(`fuzz worker exited (code ${code}) before it was ready`));
          if (inFlight && !stopping) lost(`worker exited with code ${code}`);
          done();
        });
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, lane));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return r;
}
