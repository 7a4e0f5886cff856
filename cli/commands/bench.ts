// `selfextend bench MODEL.gguf [--json]` (npm run bench -- MODEL.gguf): prefill and decode speed of
// this engine and of llama.cpp (node-llama-cpp, CPU) on the same file, with ratios; SelfExtend vs
// plain decode at long context and SelfExtend vs plain attention (prefill and decode) at 512/2K/8K; device copy and Q8_0 mat-vec bandwidth.
// `--synthetic Q8_0|Q4_K` writes a ~30M-parameter synthetic llama into tmp/ (if absent) and benches it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliCommand } from '../command';
import { parse } from '../args';
import { runBench, PREFILL_SIZES, SHORT_CTX, LONG_CTX, type BenchResult } from '../../gpu/engine/bench';
import { writeSyntheticModel } from '../../gpu/model/synthetic';
import { GGMLType } from '../../gpu/gguf/types';
import { profileTable, qwen15ShapedModel, runProfile } from '../../gpu/engine/bench-profile';
import { RECORDING_MODES } from '../../gpu/engine/recording';

const USAGE = `usage: selfextend bench (MODEL.gguf | --synthetic Q8_0|Q4_K) [--json] [--no-llama-cpp]
       selfextend bench --profile [MODEL.gguf] [--json]
  --profile: per decode token, dispatches / compute passes / submits, host record+submit time, engine-thread
  CPU time and GC share, for each recording mode in one run (A/B); GPU time per kernel family (timestamp-query);
  greedy vs default sampling; the step timeline. Default model: a synthetic Qwen2.5-1.5B-shaped qwen2 in tmp/.
  Prefill tok/s at ${PREFILL_SIZES.join('/')} tokens, decode tok/s at ${SHORT_CTX} and ${LONG_CTX} tokens of context,
  for this engine and llama.cpp (CPU) on the same file, with ratios; SelfExtend vs plain decode, and attention-only
  SelfExtend vs plain prefill/decode at 512/2048/8192 tokens;
  the device's copy bandwidth and the Q8_0 mat-vec's share of it.`;

export const bench: CliCommand = {
  summary: 'benchmark prefill/decode against llama.cpp on the same model',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { json: { type: 'boolean' }, profile: { type: 'boolean' }, synthetic: { type: 'string' }, 'no-llama-cpp': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (values.profile) {
      if (positionals.length > 1) throw new Error(`expected at most one MODEL.gguf path\n${USAGE}`);
      const model = positionals[0] ?? (await qwen15ShapedModel());
      const r = await runProfile(model, (s) => process.stderr.write(s + '\n'), { modes: RECORDING_MODES });
      process.stdout.write(values.json ? JSON.stringify(r, null, 2) + '\n' : profileTable(r));
      return 0;
    }
    let file = positionals[0];
    if (values.synthetic) file = await syntheticBenchModel(values.synthetic);
    if (!file || positionals.length > 1) throw new Error(`expected one MODEL.gguf path or --synthetic TYPE\n${USAGE}`);
    const r = await runBench(file, (s) => process.stderr.write(s + '\n'), { skipLlamaCpp: values['no-llama-cpp'] === true });
    process.stdout.write(values.json ? JSON.stringify(withRatios(r), null, 2) + '\n' : table(r));
    return 0;
  },
};

/** ~30M parameters: dim 512, 8 layers, 8 heads (4 KV), ffn 1536, vocab 4096, context 2048. */
export async function syntheticBenchModel(typeName: string): Promise<string> {
  const type = GGMLType[typeName.toUpperCase() as keyof typeof GGMLType];
  if (type === undefined) throw new Error(`--synthetic: unknown tensor type '${typeName}'`);
  const file = path.join('tmp', `bench-llama-30M-${typeName.toUpperCase()}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync('tmp', { recursive: true });
    await writeSyntheticModel(file, { architecture: 'llama', type, seed: 30, dim: 512, nLayers: 8, nHeads: 8, nKvHeads: 4, ffnDim: 1536, vocabSize: 4096, contextLength: 2048 });
  }
  return file;
}

function withRatios(r: BenchResult): BenchResult & { ratios?: Record<string, number> } {
  if ('error' in r.llamaCpp) return r;
  const l = r.llamaCpp;
  const ratios: Record<string, number> = {};
  for (const n of PREFILL_SIZES) ratios[`prefill_${n}`] = r.engine.prefill[n] / l.prefill[n];
  ratios.decode_short = r.engine.decodeShort / l.decodeShort;
  ratios.decode_long = r.engine.decodeLong / l.decodeLong;
  return { ...r, ratios };
}

function table(r: BenchResult): string {
  const l = 'error' in r.llamaCpp ? null : r.llamaCpp;
  const rows: Array<[string, number, number | null]> = [
    ...PREFILL_SIZES.map((n): [string, number, number | null] => [`prefill ${n} tok/s`, r.engine.prefill[n], l ? l.prefill[n] : null]),
    [`decode @${SHORT_CTX} tok/s`, r.engine.decodeShort, l ? l.decodeShort : null],
    [`decode @${LONG_CTX} tok/s`, r.engine.decodeLong, l ? l.decodeLong : null],
  ];
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  const lines = [
    `model ${r.model} (${(r.nParams / 1e6).toFixed(1)}M params), device: ${r.device}`,
    `${'metric'.padEnd(22)} ${'engine'.padStart(10)} ${'llama.cpp'.padStart(10)} ${'ratio'.padStart(7)}`,
    ...rows.map(([k, e, c]) => `${k.padEnd(22)} ${f(e).padStart(10)} ${f(c).padStart(10)} ${(c ? (e / c).toFixed(2) : '-').padStart(7)}`),
    `decode @${LONG_CTX} SelfExtend G=${r.engine.selfExtend.groupSize} W=${r.engine.selfExtend.neighborWindow}: ${f(r.engine.decodeLongSelfExtend)} tok/s (plain ${f(r.engine.decodeLong)})`,
    `copy bandwidth (read+write): ${r.bandwidth.copyGBps.toFixed(2)} GB/s; Q8_0 4096x4096 mat-vec: ${r.bandwidth.q8MatvecGBps.toFixed(2)} GB/s ` +
      `(${(100 * r.bandwidth.fractionOfCopy).toFixed(0)}% of copy); decode reads ${(r.weightBytes / 2 ** 20).toFixed(1)} MiB/token = ${r.bandwidth.decodeWeightGBps.toFixed(2)} GB/s`,
  ];
  if (!l && 'error' in r.llamaCpp) lines.push(`llama.cpp: ${r.llamaCpp.error}`);
  if (r.attention.length > 0) {
    const a0 = r.attention[0];
    lines.push(
      '',
      `attention only, SelfExtend G=${a0.selfExtend.groupSize} W=${a0.selfExtend.neighborWindow} vs plain (${a0.heads} heads / ${a0.kvHeads} KV, head dim ${a0.headDim}, one layer)`,
      `${'tokens'.padStart(6)} ${'prefill plain ms'.padStart(17)} ${'SelfExtend ms'.padStart(14)} ${'overhead'.padStart(9)} ${'decode plain ms'.padStart(16)} ${'SelfExtend ms'.padStart(14)} ${'overhead'.padStart(9)}`,
      ...r.attention.map(
        (a) =>
          `${String(a.T).padStart(6)} ${a.plain.prefillMs.toFixed(1).padStart(17)} ${a.selfExtendSide.prefillMs.toFixed(1).padStart(14)} ${(a.prefillOverheadPct.toFixed(1) + '%').padStart(9)} ` +
          `${a.plain.decodeMs.toFixed(2).padStart(16)} ${a.selfExtendSide.decodeMs.toFixed(2).padStart(14)} ${(a.decodeOverheadPct.toFixed(1) + '%').padStart(9)}`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}
