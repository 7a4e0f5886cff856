// Derives the engine's ModelConfig from GGUF metadata and checks that the file really holds the
// tensors (names, shapes, types) that configuration implies, so the engine never meets a surprise
// half-way through loading gigabytes.
import { basename } from 'node:path';
import { GGUFError, q } from '../gguf/errors';
import { ggmlTypeName, ggmlTypeTraits, isSupportedType, SUPPORTED_TYPES } from '../gguf/ggml-types';
import { GGMLType, GGUFValueType, type GGUFFile, type GGUFTensorInfo } from '../gguf/types';
import type { Architecture, ModelConfig, RopeConfig, RopeLayout } from './types';

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['llama', 'qwen2', 'qwen3'];

const ROPE_LAYOUT: Record<Architecture, RopeLayout> = { llama: 'adjacent', qwen2: 'neox', qwen3: 'neox' };

/** Upper bounds far above any real model; they stop absurd metadata before it sizes anything. */
const MAX_DIM = 1 << 20;
const MAX_LAYERS = 4096;
const MAX_CONTEXT = 1 << 26;

function isArchitecture(s: string): s is Architecture {
  return (SUPPORTED_ARCHITECTURES as readonly string[]).includes(s);
}

/** The metadata fields of a ModelConfig, before tensors are checked (inspect shows these even for bad files). */
export function readHyperParams(file: GGUFFile): Omit<ModelConfig, 'rope' | 'tiedEmbeddings' | 'qkvBias' | 'qkNorm' | 'nParams' | 'tensorTypes' | 'vocabSize'> & { ropeBase: number; ropeDim: number } {
  const archName = file.getString('general.architecture');
  if (!isArchitecture(archName)) {
    throw new GGUFError('unsupported-arch', `architecture ${q(archName)} is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  const arch: Architecture = archName;
  const k = (s: string) => `${arch}.${s}`;
  const int = (key: string, max: number, def?: number): number => {
    if (def !== undefined && file.getOptional(key) === undefined) return def;
    const v = file.getNumber(key);
    if (!Number.isInteger(v) || v < 1 || v > max) throw new GGUFError('bad-value', `metadata key '${key}' = ${v}; expected an integer between 1 and ${max}`);
    return v;
  };
  const embeddingDim = int(k('embedding_length'), MAX_DIM);
  const nLayers = int(k('block_count'), MAX_LAYERS);
  const nHeads = int(k('attention.head_count'), MAX_DIM);
  const nKvHeads = int(k('attention.head_count_kv'), MAX_DIM, nHeads);
  if (nHeads % nKvHeads !== 0) throw new GGUFError('bad-value', `${arch}: head_count ${nHeads} is not a multiple of head_count_kv ${nKvHeads}`);
  const defHead = embeddingDim % nHeads === 0 ? embeddingDim / nHeads : undefined;
  const headDim = int(k('attention.key_length'), MAX_DIM, defHead);
  const valueLength = int(k('attention.value_length'), MAX_DIM, headDim);
  if (valueLength !== headDim) {
    throw new GGUFError('unsupported-feature', `${arch}: attention.value_length ${valueLength} differs from key_length ${headDim}; models with different K and V head sizes are not supported`);
  }
  const ffnDim = int(k('feed_forward_length'), MAX_DIM * 8);
  const contextLength = int(k('context_length'), MAX_CONTEXT);
  const ropeBase = optionalFloat(file, k('rope.freq_base'), 10000);
  if (!(ropeBase > 1)) throw new GGUFError('bad-value', `metadata key '${k('rope.freq_base')}' = ${ropeBase}; expected a number > 1`);
  const ropeDim = int(k('rope.dimension_count'), MAX_DIM, headDim);
  if (ropeDim !== headDim) {
    throw new GGUFError('unsupported-feature', `${arch}: rope.dimension_count ${ropeDim} differs from the head dimension ${headDim}; partial rotary embeddings are not supported for this architecture`);
  }
  const normEps = optionalFloat(file, k('attention.layer_norm_rms_epsilon'), undefined);
  if (!(normEps > 0 && normEps < 1)) throw new GGUFError('bad-value', `metadata key '${k('attention.layer_norm_rms_epsilon')}' = ${normEps}; expected a small positive number`);
  const nameV = file.getOptional('general.name');
  const tmpl = file.getOptional('tokenizer.chat_template');
  return {
    architecture: arch,
    name: typeof nameV === 'string' && nameV.length > 0 ? nameV : basename(file.path),
    embeddingDim, nLayers, nHeads, nKvHeads, headDim, ffnDim, contextLength, normEps, ropeBase, ropeDim,
    hasChatTemplate: typeof tmpl === 'string' && tmpl.length > 0,
  };
}

function optionalFloat(file: GGUFFile, key: string, def: number | undefined): number {
  if (file.getOptional(key) === undefined) {
    if (def === undefined) throw new GGUFError('missing-key', `${file.path}: metadata key '${key}' is missing`);
    return def;
  }
  const v = file.getNumber(key);
  if (!Number.isFinite(v)) throw new GGUFError('bad-value', `metadata key '${key}' = ${v} is not a finite number`);
  return v;
}

/** RoPE scaling from metadata: linear is supported; anything that changes the rotation itself is refused. */
function ropeScaling(file: GGUFFile, arch: Architecture): { scalingType: string; linearScale: number } {
  const typeV = file.getOptional(`${arch}.rope.scaling.type`);
  if (typeV !== undefined && typeof typeV !== 'string') throw new GGUFError('wrong-type', `metadata key '${arch}.rope.scaling.type' must be a string`);
  const factorKey = `${arch}.rope.scaling.factor`;
  const legacyKey = `${arch}.rope.scale_linear`; // older converters wrote linear scaling here
  const type = typeV ?? (file.getOptional(legacyKey) !== undefined ? 'linear' : 'none');
  if (type === 'none') return { scalingType: 'none', linearScale: 1 };
  if (type === 'linear') {
    const key = file.getOptional(factorKey) !== undefined ? factorKey : legacyKey;
    const f = optionalFloat(file, key, 1);
    if (!(f > 0 && f <= 1024)) throw new GGUFError('bad-value', `metadata key '${key}' = ${f}; a linear RoPE scaling factor must be in (0, 1024]`);
    // llama.cpp: freq_scale = 1/factor, i.e. positions are divided by the factor.
    return { scalingType: 'linear', linearScale: 1 / f };
  }
  throw new GGUFError('unsupported-feature', `RoPE scaling type ${q(type)} (${arch}.rope.scaling.type) is not supported (supported: none, linear); SelfExtend stretches context without it — use a file converted without ${q(type)} scaling`);
}

/** Every tensor name the layout implies, with its ggml shape ([in, out] for matrices). */
export function expectedTensors(c: Pick<ModelConfig, 'architecture' | 'embeddingDim' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'headDim' | 'ffnDim' | 'vocabSize' | 'tiedEmbeddings' | 'qkvBias' | 'qkNorm'>): Map<string, number[]> {
  const e = c.embeddingDim;
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const m = new Map<string, number[]>();
  m.set('token_embd.weight', [e, c.vocabSize]);
  m.set('output_norm.weight', [e]);
  if (!c.tiedEmbeddings) m.set('output.weight', [e, c.vocabSize]);
  for (let i = 0; i < c.nLayers; i++) {
    const b = `blk.${i}.`;
    m.set(b + 'attn_norm.weight', [e]);
    m.set(b + 'attn_q.weight', [e, q]);
    m.set(b + 'attn_k.weight', [e, kv]);
    m.set(b + 'attn_v.weight', [e, kv]);
    m.set(b + 'attn_output.weight', [q, e]);
    if (c.qkvBias) {
      m.set(b + 'attn_q.bias', [q]);
      m.set(b + 'attn_k.bias', [kv]);
      m.set(b + 'attn_v.bias', [kv]);
    }
    if (c.qkNorm) {
      m.set(b + 'attn_q_norm.weight', [c.headDim]);
      m.set(b + 'attn_k_norm.weight', [c.headDim]);
    }
    m.set(b + 'ffn_norm.weight', [e]);
    m.set(b + 'ffn_gate.weight', [e, c.ffnDim]);
    m.set(b + 'ffn_up.weight', [e, c.ffnDim]);
    m.set(b + 'ffn_down.weight', [c.ffnDim, e]);
  }
  return m;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function requireTensor(file: GGUFFile, name: string, arch: string): GGUFTensorInfo {
  const t = file.tensor(name);
  if (!t) throw new GGUFError('missing-tensor', `tensor '${name}' is missing; a ${arch} model needs it`);
  return t;
}

/** Called once every tensor name is known to be one of the layout's, so names need no quoting. */
export function checkTensorType(t: GGUFTensorInfo): void {
  if (!isSupportedType(t.type)) {
    const names = SUPPORTED_TYPES.map((x) => ggmlTypeName(x)).join(', ');
    throw new GGUFError(
      'unsupported-type',
      `tensor ${t.name} has ${ggmlTypeTraits(t.type) ? `type ${ggmlTypeName(t.type)} (id ${t.type})` : `an unknown type id ${t.type}`}, which is not supported (supported: ${names}); use a Q4_K_M, Q5_K_M, Q8_0 or F16 file`,
    );
  }
}

/** Reads the llama3 `rope_freqs.weight` divisors (length headDim/2), validating shape, type and values. */
async function readFreqFactors(file: GGUFFile, headDim: number): Promise<Float32Array | null> {
  const t = file.tensor('rope_freqs.weight');
  if (!t) return null;
  if (!sameShape(t.dims, [headDim / 2])) throw new GGUFError('bad-shape', `tensor rope_freqs.weight has shape [${t.dims.join(', ')}], expected [${headDim / 2}]`);
  const bytes = await file.readTensorBytes(t);
  let out: Float32Array;
  if (t.type === GGMLType.F32) {
    out = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } else if (t.type === GGMLType.F16) {
    out = new Float32Array(headDim / 2);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  } else {
    throw new GGUFError('unsupported-type', `tensor rope_freqs.weight has type ${ggmlTypeName(t.type)}; expected F32 or F16`);
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (!(Number.isFinite(v) && v > 0)) throw new GGUFError('bad-value', `rope_freqs.weight[${i}] = ${v}; RoPE frequency factors must be positive`);
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * The engine's view of a model file. Throws GGUFError (code unsupported-arch / unsupported-type /
 * missing-tensor / bad-shape / bad-value / unsupported-feature ...) naming what is wrong.
 */
export async function describeModel(file: GGUFFile): Promise<ModelConfig> {
  const hp = readHyperParams(file);
  const arch = hp.architecture;
  const { scalingType, linearScale } = ropeScaling(file, arch);

  const embd = requireTensor(file, 'token_embd.weight', arch);
  if (embd.dims.length !== 2 || embd.dims[0] !== hp.embeddingDim) {
    throw new GGUFError('bad-shape', `tensor token_embd.weight has shape [${embd.dims.join(', ')}], expected [${hp.embeddingDim}, vocab size]`);
  }
  const vocabSize = embd.dims[1]!;
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  if (tokens && typeof tokens.value === 'object' && tokens.value.values.length !== vocabSize) {
    throw new GGUFError('bad-shape', `the tokenizer has ${tokens.value.values.length} tokens but token_embd.weight has ${vocabSize} rows`);
  }
  if (tokens && (typeof tokens.value !== 'object' || tokens.value.elementType !== GGUFValueType.STRING)) {
    throw new GGUFError('wrong-type', `metadata key 'tokenizer.ggml.tokens' must be an array of strings`);
  }

  const cfgShape = {
    ...hp,
    vocabSize,
    tiedEmbeddings: file.tensor('output.weight') === undefined,
    // qwen2 always has q/k/v biases; some llama-architecture conversions carry them too.
    qkvBias: arch === 'qwen2' || file.tensor('blk.0.attn_q.bias') !== undefined,
    qkNorm: arch === 'qwen3',
  };
  const expected = expectedTensors(cfgShape);
  for (const [name, shape] of expected) {
    const t = requireTensor(file, name, arch);
    if (!sameShape(t.dims, shape)) throw new GGUFError('bad-shape', `tensor ${name} has shape [${t.dims.join(', ')}], expected [${shape.join(', ')}]`);
  }
  // A tensor we would silently ignore (an output bias, experts, a vision tower) means the forward
  // pass would be wrong: refuse instead of producing plausible garbage.
  for (const t of file.tensors) {
    if (!expected.has(t.name) && t.name !== 'rope_freqs.weight') {
      throw new GGUFError('unsupported-feature', `tensor ${q(t.name)} is not part of the supported ${arch} layout (mixture-of-experts, output biases and other variants are not supported)`);
    }
  }
  const tensorTypes: Record<string, number> = {};
  let nParams = 0;
  for (const t of file.tensors) {
    checkTensorType(t);
    const n = ggmlTypeName(t.type);
    tensorTypes[n] = (tensorTypes[n] ?? 0) + 1;
    nParams += t.nElements;
  }
  const freqFactors = await readFreqFactors(file, hp.headDim);
  const rope: RopeConfig = {
    layout: ROPE_LAYOUT[arch],
    base: hp.ropeBase,
    dim: hp.ropeDim,
    freqFactors,
    linearScale,
    scalingType: freqFactors && scalingType === 'none' ? 'llama3' : scalingType,
  };
  const { ropeBase: _b, ropeDim: _d, ...rest } = hp;
  return { ...rest, vocabSize, rope, tiedEmbeddings: cfgShape.tiedEmbeddings, qkvBias: cfgShape.qkvBias, qkNorm: cfgShape.qkNorm, nParams, tensorTypes };
}
