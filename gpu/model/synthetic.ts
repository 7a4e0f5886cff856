// Synthetic models with random weights for every supported architecture and tensor type: how the
// engine is tested on llama/qwen2/qwen3 × F32…Q6_K without downloading anything. The files load in
// llama.cpp too (checked in test/gguf), so they double as oracle inputs.
import { GGUFValueType, GGMLType } from '../gguf/types';
import { ggmlTypeTraits } from '../gguf/ggml-types';
import { encodeGGUF, meta, writeGGUF, type WriteMetadata, type WriteSpec, type WriteTensor } from '../gguf/writer';
import type { Architecture } from './types';

export interface SyntheticModelOptions {
  architecture: Architecture;
  /** Type of the 2-D weight matrices (token_embd, output, attention, ffn); norms, biases stay F32. */
  type: GGMLType;
  vocabSize?: number;
  dim?: number;
  nLayers?: number;
  nHeads?: number;
  nKvHeads?: number;
  /** Per-head dimension; default dim / nHeads. */
  headDim?: number;
  ffnDim?: number;
  contextLength?: number;
  ropeBase?: number;
  /** No output.weight: logits come from token_embd.weight. */
  tied?: boolean;
  /** Add a llama3-style rope_freqs.weight tensor (llama only). */
  llama3RopeFreqs?: boolean;
  /** Linear RoPE scaling factor written as rope.scaling.type = linear. */
  linearRopeScale?: number;
  seed: number;
  /** 'spm-bytes' (default): a SentencePiece vocab with byte fallback that llama.cpp loads. */
  tokenizer?: 'spm-bytes' | 'none';
  name?: string;
  version?: 2 | 3;
  alignment?: number;
  /** Extra metadata entries (e.g. a chat template). */
  extraMetadata?: readonly WriteMetadata[];
}

/** mulberry32: small, fast, seedable; quality is ample for test weights. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

const PIECES = [
  '▁the', '▁a', '▁and', '▁to', '▁of', '▁is', '▁in', '▁it', '▁that', '▁was', 'er', 'in', 'on', 'an', 're', 'at', 'en', 'ed', 'ing', 'es',
  '▁he', '▁she', '▁they', '▁you', '▁we', '▁code', '▁file', '▁function', '▁return', '▁if', '▁for', '▁int', '▁let', '▁const', '()', '{}', '=>', '::',
];

/** A llama SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, ▁, letters, digits, punctuation, then common pieces. */
export function spmVocab(size: number): { tokens: string[]; scores: number[]; types: number[] } {
  if (size < 259 + 1) throw new RangeError(`an spm-bytes vocabulary needs at least 260 tokens, got ${size}`);
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3]; // unknown, control, control
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // byte
  }
  // Lowercase first so small vocabularies still cover ordinary text without byte fallback.
  const pieces = ['▁', ...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
  for (let c = 33; c < 127; c++) if (!pieces.includes(String.fromCharCode(c))) pieces.push(String.fromCharCode(c));
  pieces.push(...PIECES);
  for (let i = 0; tokens.length + pieces.length < size; i++) pieces.push(`▁w${i}`);
  for (const p of pieces) {
    if (tokens.length >= size) break;
    tokens.push(p);
    types.push(1);
  }
  // SentencePiece merges by score: longer pieces score higher so they win over single characters.
  const scores = tokens.map((t, i) => (types[i] === 1 ? -1000 + 10 * [...t].length - i * 1e-3 : 0));
  return { tokens, scores, types };
}

/** llama3's frequency divisors (factor 8, low 1, high 4, original context 8192), one per rotated pair. */
export function llama3FreqFactors(headDim: number, base: number): Float32Array {
  const factor = 8, low = 1, high = 4, orig = 8192;
  const lowWave = orig / low, highWave = orig / high;
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) {
    const freq = 1 / base ** ((2 * i) / headDim);
    const wave = (2 * Math.PI) / freq;
    if (wave < highWave) out[i] = 1;
    else if (wave > lowWave) out[i] = factor;
    else {
      const smooth = (orig / wave - low) / (high - low);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

/** Builds the WriteSpec of a synthetic model (exported so tests can tamper with it before writing). */
export function syntheticModelSpec(o: SyntheticModelOptions): WriteSpec {
  const arch = o.architecture;
  const blk = ggmlTypeTraits(o.type)?.blockSize ?? 1;
  const dim = o.dim ?? Math.max(256, blk);
  const nHeads = o.nHeads ?? 4;
  const nKv = o.nKvHeads ?? 2;
  const headDim = o.headDim ?? dim / nHeads;
  const ffn = o.ffnDim ?? 2 * Math.max(256, blk);
  const nLayers = o.nLayers ?? 2;
  const ctx = o.contextLength ?? 256;
  const base = o.ropeBase ?? (arch === 'llama' ? 10000 : 1000000);
  const tok = o.tokenizer ?? 'spm-bytes';
  const vocab = o.vocabSize ?? 320;
  for (const [what, v] of [['dim', dim], ['ffnDim', ffn], ['heads*headDim', nHeads * headDim]] as const) {
    if (v % blk !== 0) throw new RangeError(`${what} ${v} must be a multiple of the ${blk}-element block of the weight type`);
  }
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new RangeError(`head dim ${headDim} must be an even integer`);
  const rnd = gaussian(seededRandom(o.seed));
  const normal = (n: number, std: number, mean = 0) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = mean + std * rnd();
    return a;
  };
  const tensors: WriteTensor[] = [];
  // Weights ~ N(0, 1/sqrt(fan_in)) keep activations O(1) through the layers and logits spread but finite.
  const mat = (name: string, nIn: number, nOut: number, std = 1 / Math.sqrt(nIn)) =>
    tensors.push({ name, dims: [nIn, nOut], type: o.type, data: normal(nIn * nOut, std) });
  const vec = (name: string, n: number, std: number, mean: number) => tensors.push({ name, dims: [n], type: GGMLType.F32, data: normal(n, std, mean) });

  const q = nHeads * headDim;
  const kv = nKv * headDim;
  mat('token_embd.weight', dim, vocab, 1);
  vec('output_norm.weight', dim, 0.1, 1);
  if (!o.tied) mat('output.weight', dim, vocab);
  if (o.llama3RopeFreqs) {
    tensors.push({ name: 'rope_freqs.weight', dims: [headDim / 2], type: GGMLType.F32, data: llama3FreqFactors(headDim, base) });
  }
  for (let i = 0; i < nLayers; i++) {
    const b = `blk.${i}.`;
    vec(b + 'attn_norm.weight', dim, 0.1, 1);
    mat(b + 'attn_q.weight', dim, q);
    mat(b + 'attn_k.weight', dim, kv);
    mat(b + 'attn_v.weight', dim, kv);
    if (arch === 'qwen2') {
      vec(b + 'attn_q.bias', q, 0.1, 0);
      vec(b + 'attn_k.bias', kv, 0.1, 0);
      vec(b + 'attn_v.bias', kv, 0.1, 0);
    }
    if (arch === 'qwen3') {
      vec(b + 'attn_q_norm.weight', headDim, 0.1, 1);
      vec(b + 'attn_k_norm.weight', headDim, 0.1, 1);
    }
    mat(b + 'attn_output.weight', q, dim);
    vec(b + 'ffn_norm.weight', dim, 0.1, 1);
    mat(b + 'ffn_gate.weight', dim, ffn);
    mat(b + 'ffn_up.weight', dim, ffn);
    mat(b + 'ffn_down.weight', ffn, dim);
  }

  const k = (s: string) => `${arch}.${s}`;
  const md: WriteMetadata[] = [
    meta.str('general.architecture', arch),
    meta.str('general.name', o.name ?? `synthetic-${arch}-${GGMLType[o.type] ?? o.type}`),
    meta.u32(k('context_length'), ctx),
    meta.u32(k('embedding_length'), dim),
    meta.u32(k('block_count'), nLayers),
    meta.u32(k('feed_forward_length'), ffn),
    meta.u32(k('attention.head_count'), nHeads),
    meta.u32(k('attention.head_count_kv'), nKv),
    meta.f32(k('rope.freq_base'), base),
    meta.u32(k('rope.dimension_count'), headDim),
    meta.f32(k('attention.layer_norm_rms_epsilon'), 1e-6),
  ];
  if (headDim !== dim / nHeads || arch === 'qwen3') {
    md.push(meta.u32(k('attention.key_length'), headDim), meta.u32(k('attention.value_length'), headDim));
  }
  if (o.linearRopeScale !== undefined) {
    md.push(meta.str(k('rope.scaling.type'), 'linear'), meta.f32(k('rope.scaling.factor'), o.linearRopeScale));
  }
  if (tok === 'spm-bytes') {
    const v = spmVocab(vocab);
    md.push(
      meta.str('tokenizer.ggml.model', 'llama'),
      meta.arr('tokenizer.ggml.tokens', GGUFValueType.STRING, v.tokens),
      meta.arr('tokenizer.ggml.scores', GGUFValueType.FLOAT32, v.scores),
      meta.arr('tokenizer.ggml.token_type', GGUFValueType.INT32, v.types),
      meta.u32('tokenizer.ggml.bos_token_id', 1),
      meta.u32('tokenizer.ggml.eos_token_id', 2),
      meta.u32('tokenizer.ggml.unknown_token_id', 0),
      meta.bool('tokenizer.ggml.add_bos_token', true),
      meta.bool('tokenizer.ggml.add_eos_token', false),
    );
  }
  md.push(...(o.extraMetadata ?? []));
  return { version: o.version, alignment: o.alignment, metadata: md, tensors };
}

export async function writeSyntheticModel(path: string, o: SyntheticModelOptions): Promise<void> {
  await writeGGUF(path, syntheticModelSpec(o));
}

export function encodeSyntheticModel(o: SyntheticModelOptions): Uint8Array {
  return encodeGGUF(syntheticModelSpec(o));
}
