// Fuzz dispatcher: `npm run fuzz -- [--target NAME] --cases N --seed S [--json] [--timeout-ms T]`.
// `gguf` (the default, issue 7) also takes [--workers W] [--start I]. Exit code 1 when any case crashed,
// hung or escaped (gguf: also exceeded the memory bound or was rejected unreadably).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzReport } from '../gpu/gguf/fuzz-runner';
import type { FuzzSummary, FuzzTarget } from '../tools/fuzz/types';

/** Targets besides gguf, loaded on demand (each implements tools/fuzz/types.ts). */
const TARGETS: Record<string, () => Promise<FuzzTarget>> = {
  repos: async () => (await import('../tools/fuzz/repos')).fuzzRepos,
  messages: async () => (await import('../tools/fuzz/messages')).fuzzMessages,
  // templates: (engineer D2) registered here.
};

function int(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new Error(`--${name}: '${v}' is not a non-negative integer`);
  return Number(v);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      workers: { type: 'string' },
      'timeout-ms': { type: 'string' },
      start: { type: 'string' },
      target: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const target = values.target ?? 'gguf';
  if (values.help) {
    process.stdout.write(`usage: fuzz [--target ${['gguf', ...Object.keys(TARGETS)].join('|')}] --cases N --seed S [--json] [--timeout-ms T] [gguf: --workers W --start I]\n`);
    return 0;
  }
  if (target !== 'gguf') {
    const load = TARGETS[target];
    if (!load) throw new Error(`--target: unknown target '${target}' (known: ${['gguf', ...Object.keys(TARGETS)].join(', ')})`);
    if (values.workers !== undefined || values.start !== undefined) throw new Error('--workers and --start apply to --target gguf only');
    return runTarget(await load(), {
      cases: int(values.cases, 'cases', 1000), seed: int(values.seed, 'seed', 1), caseTimeoutMs: int(values['timeout-ms'], 'timeout-ms', 10_000), json: values.json === true,
    });
  }
  const cases = int(values.cases, 'cases', 1000);
  const seed = int(values.seed, 'seed', 1);
  const t0 = Date.now();
  const report = await runFuzz({
    cases,
    seed,
    workers: int(values.workers, 'workers', 1),
    caseTimeoutMs: int(values['timeout-ms'], 'timeout-ms', 10_000),
    start: int(values.start, 'start', 0),
    root: join(__dirname, '..'),
    onProgress: (done, r) => {
      if (!values.json && (done % 500 === 0 || done === cases)) {
        process.stderr.write(`  ${done}/${cases} cases, ${r.crashes} crashes, ${r.hangs} hangs, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      }
    },
  });
  const { failures, byCode, corpus, ...figures } = report;
  const summary = { cases: figures.cases, crashes: figures.crashes, hangs: figures.hangs, rejected: figures.rejected, accepted: figures.accepted, max_ms: figures.max_ms, over_memory: figures.over_memory, unreadable: figures.unreadable, max_alloc_mb: figures.max_alloc_mb, seed };
  if (values.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
  } else {
    process.stdout.write(table(report, corpus, (Date.now() - t0) / 1000));
  }
  for (const f of failures) process.stderr.write(`${f.kind} in case ${f.index} (${f.source}; ${f.mutation}): ${f.message.split('\n').slice(0, 4).join('\n    ')}\n`);
  const bad = report.crashes + report.hangs + report.over_memory + report.unreadable;
  void byCode;
  return bad > 0 ? 1 : 0;
}

async function runTarget(run: FuzzTarget, o: { cases: number; seed: number; caseTimeoutMs: number; json: boolean }): Promise<number> {
  const t0 = Date.now();
  const s: FuzzSummary = await run({
    cases: o.cases, seed: o.seed, caseTimeoutMs: o.caseTimeoutMs,
    onProgress: (done) => {
      if (!o.json && (done % 500 === 0 || done === o.cases)) process.stderr.write(`  ${done}/${o.cases} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    },
  });
  const { failures, ...figures } = s;
  if (o.json) process.stdout.write(JSON.stringify(figures) + '\n');
  else process.stdout.write(Object.entries(figures).map(([k, v]) => `${k.padEnd(24)}${v}`).join('\n') + '\n');
  for (const f of failures) process.stderr.write(`${f.kind} in case ${f.case}: ${f.detail.split('\n').slice(0, 4).join('\n    ')}\n`);
  return s.crashes + s.hangs + s.escapes > 0 ? 1 : 0;
}

function table(r: FuzzReport, corpus: number, seconds: number): string {
  const rows: [string, string | number][] = [
    ['seed', r.seed],
    ['corpus files', corpus],
    ['cases', r.cases],
    ['crashes', r.crashes],
    ['hangs', r.hangs],
    ['over memory bound', r.over_memory],
    ['unreadable errors', r.unreadable],
    ['rejected', r.rejected],
    ['accepted', r.accepted],
    ['max ms per case', r.max_ms],
    ['max MiB per case', r.max_alloc_mb],
    ['wall time s', seconds.toFixed(1)],
  ];
  const codes = Object.entries(r.byCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `  ${c.padEnd(22)}${n}`);
  return rows.map(([k, v]) => `${k.padEnd(24)}${v}`).join('\n') + '\nrejections by code:\n' + codes.join('\n') + '\n';
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
