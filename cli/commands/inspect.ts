// `selfextend inspect MODEL.gguf [--json]`: what a GGUF file holds and whether the engine can run it.
import type { CliCommand } from '../command';
import { parse } from '../args';
import { openGGUF } from '../../gpu/gguf/reader';
import { q } from '../../gpu/gguf/errors';
import { summarizeModel, type ModelSummary } from '../../gpu/model/summary';

const USAGE = `usage: selfextend inspect MODEL.gguf [--json]
  Prints architecture, sizes, tensor types, context length, RoPE and chat-template presence.
  Exit code: 0 when the engine supports the model, 1 when it does not (the reason is printed)
  or the file is not a readable GGUF file.`;

export const inspect: CliCommand = {
  summary: 'show what a GGUF model holds and whether it is supported',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    const file = await openGGUF(positionals[0]!);
    try {
      const s = await summarizeModel(file);
      process.stdout.write(values.json ? JSON.stringify(toJson(s), null, 2) + '\n' : formatSummary(s));
      return s.supported ? 0 : 1;
    } finally {
      await file.close();
    }
  },
};

function toJson(s: ModelSummary): unknown {
  // freqFactors is a Float32Array: show its values as a plain list, not an index-keyed object.
  const config = s.config ? { ...s.config, rope: { ...s.config.rope, freqFactors: s.config.rope.freqFactors ? Array.from(s.config.rope.freqFactors) : null } } : null;
  return { ...s, config };
}

const int = (n: number | null) => (n === null ? '?' : n.toLocaleString('en-US'));

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatSummary(s: ModelSummary): string {
  const d = s.dims;
  // Strings from the file go through q(): a hostile name must not put terminal escapes on screen.
  const txt = (v: string | null, none: string) => (v === null ? none : /^[\x20-\x7e]{1,80}$/.test(v) ? v : q(v));
  const rows: [string, string][] = [
    ['file', `${s.path} (${bytes(s.fileSize)}, GGUF v${s.ggufVersion}, alignment ${s.alignment}, ${s.metadataCount} metadata keys)`],
    ['name', txt(s.name, '(none)')],
    ['architecture', `${txt(s.architecture, '(missing)')}${s.supported ? ' (supported)' : ''}`],
    ['dims', `embedding ${int(d.embedding)}, layers ${int(d.layers)}, heads ${int(d.heads)}, kv heads ${int(d.kvHeads)}, head dim ${int(d.headDim)}, ffn ${int(d.ffn)}, vocab ${int(d.vocab)}`],
    ['parameters', `${int(s.nParams)} (${human(s.nParams)}), ${bytes(s.tensorBytes)} of tensor data`],
    ['tensors', `${s.tensorCount}: ${Object.entries(s.tensorTypes).map(([t, n]) => `${t} x${n}`).join(', ') || 'none'}`],
    ['context', s.contextLength === null ? '?' : `${int(s.contextLength)} tokens`],
    ['rope', `${s.rope.layout ?? '?'} pairs, base ${s.rope.base ?? '?'}, dim ${s.rope.dim ?? '?'}, scaling ${s.rope.scaling}${s.rope.scalingFactor !== null ? ` x${s.rope.scalingFactor}` : ''}${s.rope.freqFactors !== null ? ` (rope_freqs: ${s.rope.freqFactors} factors)` : ''}`],
    ['norm eps', s.normEps === null ? '?' : String(Number(s.normEps.toPrecision(6)))],
    ['output', s.tensorCount === 0 ? '(no tensors: vocabulary-only file)' : s.tiedEmbeddings ? 'tied to token_embd.weight' : 'separate output.weight'],
    ['tokenizer', s.tokenizer.model !== null ? `${txt(s.tokenizer.model, '')}${s.tokenizer.pre !== null ? ` (pre ${txt(s.tokenizer.pre, '')})` : ''}, ${int(s.tokenizer.tokens)} tokens` : '(none)'],
    ['chat template', s.hasChatTemplate ? 'present' : 'absent (a plain-text fallback prompt is used)'],
    ['status', s.supported ? 'supported' : `NOT SUPPORTED (${s.reason?.code}): ${s.reason?.message}`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join('\n') + '\n';
}
