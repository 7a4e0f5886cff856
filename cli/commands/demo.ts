// `selfextend demo`: the first thing a new user runs. Passkey retrieval on the embedded tiny model
// (trained on 128 tokens) with plain attention vs SelfExtend G=16 W=32, side by side per prompt length.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { intFlag, parse } from '../args';
import { Engine } from '../../gpu/engine/index';
import { describeDevice } from '../../gpu/device/gpu-device';
import { contextNeeded, evaluatePasskey, loadCases, subsetPerLength, summarize, type PasskeyCaseResult } from '../../gpu/attention/passkey';
import { disagreements, pct, progressBar } from './passkey';

const MODEL = 'passkey-char-128.gguf';
const CASES = 'passkey-cases.jsonl';
const SE = { groupSize: 16, neighborWindow: 32 };
/** Cases per length by default: keeps the demo under a minute on a CPU-only (lavapipe) machine. */
const DEFAULT_PER_LENGTH = 3;

const USAGE = `usage: selfextend demo [--per-length N | --all] [--model-dir DIR]
Passkey retrieval with the embedded model (trained context 128 tokens): plain attention vs SelfExtend
G=${SE.groupSize} W=${SE.neighborWindow} at prompt lengths up to 8x the trained context.
  --per-length N   cases per prompt length (default ${DEFAULT_PER_LENGTH}; the file holds 20)
  --all            every case (a few minutes on a CPU-only machine)
  --model-dir DIR  where ${MODEL} and ${CASES} are (default: the bundled assets/models)`;

/** assets/models beside the bundle (dist/cli.js -> ../assets/models), in a packaged extension, or in a checkout. */
export function findAssets(explicit?: string): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const candidates = explicit
    ? [explicit]
    : [
        path.join(here, '..', 'assets', 'models'),
        path.join(here, 'assets', 'models'),
        path.join(here, '..', '..', 'assets', 'models'),
        path.join(process.cwd(), 'assets', 'models'),
      ];
  for (const c of candidates) if (fs.existsSync(path.join(c, MODEL)) && fs.existsSync(path.join(c, CASES))) return c;
  throw new Error(`the demo model (${MODEL} with ${CASES}) was not found; looked in: ${candidates.join(', ')}. Pass --model-dir DIR.`);
}

function cell(rs: PasskeyCaseResult[]): string {
  const ok = rs.filter((r) => r.exact).length;
  return `${String(ok).padStart(2)}/${rs.length} found`;
}

export const demo: CliCommand = {
  summary: 'passkey retrieval on the embedded tiny model: plain attention vs SelfExtend (start here)',
  async run(argv: string[]): Promise<number> {
    const { values } = parse(
      argv,
      { 'per-length': { type: 'string' }, all: { type: 'boolean' }, 'model-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const dir = findAssets(values['model-dir']);
    const all = loadCases(path.join(dir, CASES));
    const perLength = values.all ? Infinity : intFlag(values['per-length'], '--per-length', DEFAULT_PER_LENGTH);
    const cases = Number.isFinite(perLength) ? subsetPerLength(all, perLength) : all;
    const t0 = performance.now();
    const model = await Engine.load(path.join(dir, MODEL), { maxContext: contextNeeded(cases) });
    try {
      const L = model.config.contextLength;
      process.stdout.write(
        `SelfExtend demo: find a 5-digit pass key hidden in long text, with a tiny model trained on ${L} tokens.\n` +
          `GPU: ${describeDevice(model.device)}\n` +
          `${cases.length} of ${all.length} cases (${cases.length === all.length ? 'all' : `first ${perLength} per length; --all for every case`}), greedy decoding.\n\n`,
      );
      const bar = progressBar('demo', process.stderr.isTTY === true);
      const total = cases.length * 2;
      const plain = await evaluatePasskey(model, cases, { kind: 'plain' }, { onCase: (d, _t, r) => bar(d, total, `plain, length ${r.length}`) });
      const se = await evaluatePasskey(model, cases, { kind: 'selfextend', se: SE }, { onCase: (d, _t, r) => bar(cases.length + d, total, `SelfExtend, length ${r.length}`) });

      const sp = summarize(plain);
      const ss = summarize(se);
      const colW = 22;
      const head = `prompt length | ${'plain attention'.padEnd(colW)} | SelfExtend G=${SE.groupSize} W=${SE.neighborWindow}`;
      const lines = [head, '-'.repeat(head.length + 22)];
      for (let i = 0; i < sp.length; i++) {
        const len = sp[i].length;
        const note = len <= L ? ' (within training)' : ` (${(len / L).toFixed(0)}x the trained context)`;
        const rp = plain.filter((r) => r.length === len);
        const rs = se.filter((r) => r.length === len);
        lines.push(
          `${String(len).padStart(13)} | ${`${cell(rp)} ${pct(sp[i].accuracy).padStart(6)}`.padEnd(colW)} | ${`${cell(rs)} ${pct(ss[i].accuracy).padStart(6)}`.padEnd(colW)}${note}`,
        );
      }
      const ex = plain.length - 1;
      lines.push(
        '',
        `e.g. a ${plain[ex].length}-character prompt whose key is ${plain[ex].answer}: plain attention answers ${JSON.stringify(plain[ex].output)}, ` +
          `SelfExtend ${JSON.stringify(se[ex].output)}`,
      );
      process.stdout.write(lines.join('\n') + '\n\n');
      const agreeP = plain.filter((r) => r.agrees).length;
      const agreeS = se.filter((r) => r.agrees).length;
      process.stdout.write(
        `Same continuation as the independent PyTorch reference: plain ${agreeP}/${plain.length}, SelfExtend ${agreeS}/${se.length}.\n`,
      );
      const dis = disagreements([...plain, ...se]);
      if (dis.length) process.stdout.write(`differs from the reference:\n${dis.join('\n')}\n`);
      process.stdout.write(
        `\nPlain attention fails past ${L} tokens (positions it never saw); SelfExtend maps far positions into the trained\n` +
          `range (grouped by ${SE.groupSize}) while keeping the nearest ${SE.neighborWindow} exact. Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.\n`,
      );
      return 0;
    } finally {
      model.dispose();
    }
  },
};
