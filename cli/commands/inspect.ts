// `selfextend inspect MODEL.gguf [--json]`: what a GGUF file holds and whether the engine can run it.
import type { CliCommand } from '../command';
import { parse } from '../args';
import { openGGUF } from '../../gpu/gguf/reader';
import { q } from '../../gpu/gguf/errors';
import { summarizeModel, type ModelSummary } from '../../gpu/model/summary';
import type { GGUFFile } from '../../gpu/gguf/types';
import type { ModelConfig } from '../../gpu/model/types';
import { intFlag } from '../args';
import { createTokenizer, tokenizerDataFromGGUF } from '../../gpu/tokenizer/index';
import { headDimProblem } from '../../gpu/attention/params';
import { kvTypeProblem, parseKvCacheType, type KvCacheType } from '../../gpu/attention/kv-layout';
import { chooseSelfExtend, maxReachableContext, SelfExtendParamsError } from '../../gpu/attention/params';
import { planMemory, DEFAULT_LIMITS, type MemoryPlan } from '../../gpu/engine/memory';
import { totalTensorBytes } from '../../gpu/engine/weights';
import { DEFAULT_SETTINGS } from '../../extension/core/chat/settings';

const USAGE = `usage: selfextend inspect MODEL.gguf [--target N] [--kv-cache-type f16|q8_0|f32] [--json]
  Prints architecture, sizes, tensor types, context length, RoPE and chat-template presence, and the
  GPU memory the engine will allocate for a request of N tokens (default ${DEFAULT_SETTINGS.selfExtend.targetContext}, or
  SelfExtend's reach when smaller):
  weights, KV cache (SelfExtend's two key copies, or one: plain or memory-lean; f16, q8_0 and f32),
  activations and the total for the KV cache type given (default f16, as the extension's default).
  Binding sizes are checked against 128 MiB, the limit every WebGPU device offers.
  Exit code: 0 when the engine can load the model and serve the target, 1 when it cannot (the
  reason is printed: architecture, tensor types, head dimension, tokenizer, binding limits) or the
  file is not a readable GGUF file.`;

/** The engine's memory for one request size, as `inspect` reports it. */
export interface InspectMemory {
  targetTokens: number;
  /** G/W the paper's rule picks for the target (G = 1: plain attention). */
  selfExtend: { groupSize: number; neighborWindow: number } | null;
  weightsBytes: number;
  /** KV cache bytes per mode and element type for targetTokens positions (plain = memory-lean SelfExtend too). */
  kvCache: { twoCopy: Record<KvCacheType, number>; plain: Record<KvCacheType, number> };
  /** The mode the engine uses for this target (two-copy when SelfExtend engages). */
  kvMode: 'twoCopy' | 'plain';
  /** The KV element type the total is computed for. */
  kvCacheType: KvCacheType;
  activationBytes: number;
  /** What the engine allocates for the target: weights + KV cache (kvCacheType, kvMode) + activations. */
  totalBytes: number;
  largestBinding: MemoryPlan['largestBinding'];
  buffers: MemoryPlan['buffers'];
}

/** The checks loading performs beyond describeModel: head dimension, tokenizer, binding limits. */
function loadChecks(file: GGUFFile, config: ModelConfig, target: number, kvType: KvCacheType): { problem: { code: string; message: string } | null; memory: InspectMemory | null } {
  const hd = headDimProblem(config.headDim) ?? kvTypeProblem(config.headDim, kvType);
  if (hd) return { problem: { code: 'unsupported-head-dim', message: hd }, memory: null };
  try {
    createTokenizer(tokenizerDataFromGGUF(file));
  } catch (e) {
    return { problem: { code: 'unsupported-tokenizer', message: e instanceof Error ? e.message : String(e) }, memory: null };
  }
  let se: InspectMemory['selfExtend'] = null;
  try {
    const c = chooseSelfExtend({ trainedContext: config.contextLength, targetContext: target });
    se = { groupSize: c.groupSize, neighborWindow: c.neighborWindow };
  } catch (e) {
    if (!(e instanceof SelfExtendParamsError)) throw e;
    return { problem: { code: 'target-unreachable', message: e.message }, memory: null };
  }
  const weightsBytes = totalTensorBytes(file);
  const plan = (tokens: number, groupedCopy: boolean, kvCacheType: KvCacheType): MemoryPlan =>
    planMemory({ config, weightsBytes, info: DEFAULT_LIMITS, kvCacheType, chunk: 512, contextTokens: tokens, groupedCopy });
  const grouped = se.groupSize > 1;
  const used = plan(target, grouped, kvType);
  const kv = (g: boolean): Record<KvCacheType, number> => ({ f16: plan(target, g, 'f16').kvBytes, q8_0: plan(target, g, 'q8_0').kvBytes, f32: plan(target, g, 'f32').kvBytes });
  const memory: InspectMemory = {
    targetTokens: target,
    selfExtend: se,
    weightsBytes,
    kvCache: { twoCopy: kv(true), plain: kv(false) },
    kvMode: grouped ? 'twoCopy' : 'plain',
    kvCacheType: kvType,
    activationBytes: used.activationBytes,
    totalBytes: used.totalBytes,
    largestBinding: used.largestBinding,
    buffers: used.buffers,
  };
  if (used.contextTokens < target) {
    return {
      problem: {
        code: 'binding-limit',
        message: `a KV cache of ${target} tokens needs more than ${bytes(used.largestBinding.limit)} per layer and key copy; at most ${used.maxContext} tokens fit (use --target ${used.maxContext} or less)`,
      },
      memory,
    };
  }
  return { problem: null, memory };
}

export const inspect: CliCommand = {
  summary: 'show what a GGUF model holds and whether it is supported',
  async run(argv: string[]): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { json: { type: 'boolean' }, target: { type: 'string' }, 'kv-cache-type': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one MODEL.gguf path\n${USAGE}`);
    const file = await openGGUF(positionals[0]!);
    try {
      const asked = values.target === undefined ? undefined : intFlag(values.target, '--target', 0);
      if (asked !== undefined && asked < 1) throw new Error('--target must be a positive number of tokens');
      const kvType = parseKvCacheType(values['kv-cache-type'] ?? 'f16', '--kv-cache-type');
      const s: InspectSummary = { ...(await summarizeModel(file)), memory: null };
      if (s.config) {
        // Without --target: the default target, or what SelfExtend reaches when that is less.
        const target = asked ?? Math.min(DEFAULT_SETTINGS.selfExtend.targetContext, maxReachableContext(s.config.contextLength));
        const checks = loadChecks(file, s.config, target, kvType);
        s.memory = checks.memory;
        if (checks.problem) {
          s.supported = false;
          s.reason = checks.problem;
        }
      }
      process.stdout.write(values.json ? JSON.stringify(toJson(s), null, 2) + '\n' : formatSummary(s));
      return s.supported ? 0 : 1;
    } finally {
      await file.close();
    }
  },
};

export type InspectSummary = ModelSummary & { memory: InspectMemory | null };

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

function formatMemory(m: InspectMemory): [string, string][] {
  const se = m.selfExtend && m.selfExtend.groupSize > 1 ? `SelfExtend G=${m.selfExtend.groupSize} W=${m.selfExtend.neighborWindow}` : 'plain attention';
  const kv = (mode: 'twoCopy' | 'plain') => `${bytes(m.kvCache[mode].f16)} f16, ${bytes(m.kvCache[mode].q8_0)} q8_0, ${bytes(m.kvCache[mode].f32)} f32`;
  return [
    ['memory', `for a request of ${int(m.targetTokens)} tokens (${se}), 128 MiB bindings:`],
    ['  weights', bytes(m.weightsBytes)],
    ['  KV cache', `two key copies (SelfExtend): ${kv('twoCopy')}; plain: ${kv('plain')} (also memory-lean SelfExtend, one key copy); used: ${m.kvMode === 'twoCopy' ? 'two key copies' : 'plain'}, ${m.kvCacheType}`],
    ['  activations', `${bytes(m.activationBytes)} (activations, logits, sampler, uniforms)`],
    ['  total', `${bytes(m.totalBytes)} (what the engine allocates for this request)`],
    ['  largest', `${m.largestBinding.name}: ${bytes(m.largestBinding.bytes)} in one binding (limit ${bytes(m.largestBinding.limit)})`],
  ];
}

export function formatSummary(s: ModelSummary & { memory?: InspectMemory | null }): string {
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
    ...(s.memory ? formatMemory(s.memory) : []),
    ['status', s.supported ? 'supported' : `NOT SUPPORTED (${s.reason?.code}): ${s.reason?.message}`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join('\n') + '\n';
}
