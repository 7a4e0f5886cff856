// Worker side of the GGUF fuzz harness: builds case `index`, writes it to a temp file and loads it
// through the real path (openGGUF -> describeModel -> summarizeModel -> read every tensor), reporting
// the outcome, time and memory growth. Runs in a worker thread so the parent can kill a hang.
import { parentPort, workerData, threadId } from 'node:worker_threads';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GGUFError } from './errors';
import { makeCase, prepareCorpus } from './fuzz';
import { openGGUF } from './reader';
import { describeModel } from '../model/config';
import { summarizeModel } from '../model/summary';

export interface WorkerInit {
  entry: string;
  /** Resolved path of tsx's CommonJS hook (the worker loads TypeScript through it). */
  tsx: string;
  corpus: { name: string; path: string }[];
  seed: number;
  tmpDir: string;
  /** Harness self-test hooks (see FuzzOptions.inject). */
  inject: { hang?: number; crash?: number; die?: number };
}

export type CaseOutcome = 'accepted' | 'rejected' | 'crash';

export interface CaseResult {
  index: number;
  source: string;
  mutation: string;
  size: number;
  outcome: CaseOutcome;
  code?: string;
  message?: string;
  ms: number;
  /** Growth of heapUsed + arrayBuffers while loading (bytes). */
  alloc: number;
}

async function load(path: string): Promise<void> {
  const f = await openGGUF(path);
  try {
    const cfg = await describeModel(f).catch(async (e: unknown) => {
      // inspect's summary must cope with whatever describeModel rejects.
      await summarizeModel(f);
      throw e;
    });
    await summarizeModel(f);
    void cfg;
    for (const t of f.tensors) await f.readTensorBytes(t);
  } finally {
    await f.close();
  }
}

function memNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const corpus = prepareCorpus(init.corpus.map((c) => ({ name: c.name, bytes: readFileSync(c.path) })));
  const file = join(init.tmpDir, `case-${threadId}.gguf`);
  const port = parentPort!;
  port.on('message', (msg: { index: number } | 'stop') => {
    if (msg === 'stop') {
      rmSync(file, { force: true });
      port.close();
      return;
    }
    void (async () => {
      const c = makeCase(corpus, init.seed, msg.index);
      writeFileSync(file, c.bytes);
      const base: Omit<CaseResult, 'outcome' | 'ms' | 'alloc'> = { index: c.index, source: c.source, mutation: c.mutation, size: c.bytes.length };
      const m0 = memNow();
      const t0 = performance.now();
      let res: CaseResult;
      try {
        if (msg.index === init.inject.hang) for (;;);
        if (msg.index === init.inject.crash) throw new TypeError('injected crash');
        if (msg.index === init.inject.die) process.exit(3);
        await load(file);
        res = { ...base, outcome: 'accepted', ms: performance.now() - t0, alloc: memNow() - m0 };
      } catch (e) {
        const ms = performance.now() - t0;
        const alloc = memNow() - m0;
        if (e instanceof GGUFError) res = { ...base, outcome: 'rejected', code: e.code, message: e.message, ms, alloc };
        else res = { ...base, outcome: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e), ms, alloc };
      }
      port.postMessage(res);
    })();
  });
  port.postMessage('ready');
}

void main();
