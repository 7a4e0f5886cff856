// `selfextend passkey MODEL.gguf --cases FILE.jsonl [--group G --window W | --plain] [--json] [--outputs FILE] [--limit N]`
import * as fs from 'node:fs';
import type { CliCommand } from '../command';
import { intFlag, parse } from '../args';
import { Engine } from '../../gpu/engine/index';
import { kvCacheTypeFlag } from './engine-flags';
import { validateSelfExtend } from '../../gpu/attention/params';
import {
  contextNeeded,
  evaluatePasskey,
  loadCases,
  subsetPerLength,
  summarize,
  type PasskeyCaseResult,
  type PasskeyLengthSummary,
  type PasskeyMode,
} from '../../gpu/attention/passkey';

const USAGE = `usage: selfextend passkey MODEL.gguf --cases FILE.jsonl [--group G --window W | --plain] [options]
  --cases FILE     JSON lines: {"length","prompt","answer"[,"group","window","plain_output","selfextend_output"]}
  --group G --window W   SelfExtend with these parameters (default: each case's own group/window)
  --plain          plain attention (positions past the trained context use plain RoPE)
  --limit N        only the first N cases of each length
  --outputs FILE   also write one JSON line per case: {"length","prompt","output"}
  --json           print {"results":[{"length","n","accuracy","prefix3","agreement"}],"group","window"}
  --kv-cache-type T  KV cache element type: f16 (default), q8_0 or f32
Greedy decoding of answer-length + 1 tokens per case. Accuracy: exact answer (leading space ignored);
prefix3: first three digits; agreement: output equal to the case's reference continuation for this mode.`;

/** Progress on stderr: a redrawn bar on a terminal, a line per 10% otherwise (logs stay short). */
export function progressBar(label: string, tty: boolean): (done: number, total: number, note?: string) => void {
  let lastTenth = -1;
  return (done, total, note = '') => {
    const frac = total ? done / total : 1;
    if (tty) {
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${note}`.padEnd(78));
      if (done === total) process.stderr.write('\n');
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${label}: ${done}/${total} ${note}\n`);
      }
    }
  };
}

export function pct(x: number | null): string {
  return x === null ? '—' : `${(100 * x).toFixed(1)}%`;
}

export function formatTable(rows: PasskeyLengthSummary[]): string {
  const head = ['length', 'n', 'accuracy', 'prefix3', 'agreement'];
  const body = rows.map((r) => [String(r.length), String(r.n), pct(r.accuracy), pct(r.prefix3), pct(r.agreement)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n') + '\n';
}

/** Cases whose output differs from the reference continuation (criterion 6a asks to name them). */
export function disagreements(results: PasskeyCaseResult[]): string[] {
  return results
    .filter((r) => r.agrees === false)
    .map((r) => `  length ${r.length} case ${r.index}: got ${JSON.stringify(r.output)}, reference ${JSON.stringify(r.reference)} (answer ${r.answer})`);
}

export const passkey: CliCommand = {
  summary: 'passkey retrieval accuracy per prompt length, plain vs SelfExtend',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        cases: { type: 'string' },
        group: { type: 'string' },
        window: { type: 'string' },
        plain: { type: 'boolean' },
        limit: { type: 'string' },
        outputs: { type: 'string' },
        json: { type: 'boolean' },
        chunk: { type: 'string' },
        'kv-cache-type': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    if (!values.cases) throw new Error(`--cases FILE.jsonl is required\n${USAGE}`);
    const hasSe = values.group !== undefined || values.window !== undefined;
    if (values.plain && hasSe) throw new Error('--plain and --group/--window exclude each other');
    if (hasSe && (values.group === undefined || values.window === undefined)) throw new Error('--group and --window go together');
    let mode: PasskeyMode = { kind: 'selfextend' };
    if (values.plain) mode = { kind: 'plain' };
    else if (hasSe) mode = { kind: 'selfextend', se: { groupSize: intFlag(values.group, '--group', 1), neighborWindow: intFlag(values.window, '--window', 0) } };

    // Fail before loading the model on G/W that can never work (W < L is checked once L is known).
    if (mode.kind === 'selfextend' && mode.se) validateSelfExtend(mode.se);
    let cases = loadCases(values.cases);
    if (values.limit !== undefined) cases = subsetPerLength(cases, intFlag(values.limit, '--limit', 0));
    const modelPath = positionals[0]!;
    // Size the KV cache from the longest prompt (the default, 8x the trained context, may be short).
    const model = await Engine.load(modelPath, {
      maxContext: contextNeeded(cases),
      kvCacheType: kvCacheTypeFlag(values['kv-cache-type']),
      prefillChunk: values.chunk ? intFlag(values.chunk, '--chunk', 512) : undefined,
    });
    try {
      const bar = progressBar('passkey', process.stderr.isTTY === true);
      const results = await evaluatePasskey(model, cases, mode, { onCase: (d, t, r) => bar(d, t, `length ${r.length}`) });
      if (values.outputs) {
        fs.writeFileSync(values.outputs, results.map((r) => JSON.stringify({ length: r.length, prompt: r.prompt, output: r.output })).join('\n') + '\n');
      }
      const rows = summarize(results);
      const ses = new Set(results.map((r) => `${r.se.groupSize}/${r.se.neighborWindow}`));
      const one = ses.size === 1 ? results[0].se : null;
      const group = mode.kind === 'plain' ? 1 : one ? one.groupSize : null;
      const window = mode.kind === 'plain' ? null : one ? one.neighborWindow : null;
      if (values.json) {
        process.stdout.write(JSON.stringify({ results: rows, group, window }) + '\n');
      } else {
        const label = mode.kind === 'plain' ? 'plain attention' : one ? `SelfExtend G=${one.groupSize} W=${one.neighborWindow}` : 'SelfExtend (per-case G/W)';
        process.stdout.write(`${label}, trained context ${model.config.contextLength}\n${formatTable(rows)}`);
        const dis = disagreements(results);
        if (dis.length) process.stdout.write(`differs from the reference continuation:\n${dis.join('\n')}\n`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};
