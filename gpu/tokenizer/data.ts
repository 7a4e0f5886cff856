// The plain-data description a tokenizer is built from, and how to read it from GGUF metadata
// (tokenizer.ggml.*), with llama.cpp's defaults for keys a file leaves out.
import type { GGUFFile, GGUFValue } from '../gguf/types';

/** llama.cpp's llama_token_type values as stored in tokenizer.ggml.token_type. */
export const TokenType = {
  UNDEFINED: 0,
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

export interface TokenizerData {
  /** tokenizer.ggml.model: 'llama' = SentencePiece, 'gpt2' = byte-level BPE. */
  model: 'llama' | 'gpt2';
  /** tokenizer.ggml.pre (BPE pre-tokenizer name); ignored for SPM. */
  pre?: string;
  tokens: readonly string[];
  scores?: Float32Array | readonly number[];
  /** tokenizer.ggml.token_type per token (TokenType); all NORMAL when absent. */
  tokenTypes?: Int32Array | readonly number[];
  /** BPE merges, "left right", in rank order. */
  merges?: readonly string[];
  bosId: number | null;
  eosId: number | null;
  eotId?: number | null;
  eomId?: number | null;
  unkId?: number | null;
  padId?: number | null;
  /** Default for EncodeOptions.addBos (tokenizer.ggml.add_bos_token). */
  addBos: boolean;
  addEos?: boolean;
  /** SPM: prepend a space to text at the start and after special tokens (default true for SPM). */
  addSpacePrefix?: boolean;
  /** tokenizer.chat_template, when the model ships one. */
  chatTemplate?: string;
  /** general.name; llama.cpp keys a Phi-3 special-token quirk (rstrip) on it. */
  modelName?: string;
}

function num(v: GGUFValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function arr(file: GGUFFile, key: string): readonly GGUFValue[] | undefined {
  const v = file.getOptional(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'object') throw new Error(`${file.path}: ${key} must be an array`);
  return v.values;
}

/** Reads a tokenizer description from GGUF metadata; throws a clear Error when it cannot be used. */
export function tokenizerDataFromGGUF(file: GGUFFile): TokenizerData {
  const model = file.getOptional('tokenizer.ggml.model');
  if (model !== 'llama' && model !== 'gpt2') {
    throw new Error(
      `${file.path}: unsupported tokenizer '${String(model)}' (tokenizer.ggml.model); supported: llama (SentencePiece), gpt2 (byte-level BPE)`,
    );
  }
  const tokensRaw = arr(file, 'tokenizer.ggml.tokens');
  if (!tokensRaw) throw new Error(`${file.path}: tokenizer.ggml.tokens is missing`);
  const tokens = tokensRaw.map((t, i) => {
    if (typeof t !== 'string') throw new Error(`${file.path}: tokenizer.ggml.tokens[${i}] is not a string`);
    return t;
  });
  const n = tokens.length;
  const scoresRaw = arr(file, 'tokenizer.ggml.scores');
  const scores = scoresRaw ? Float32Array.from(scoresRaw, (v) => num(v) ?? 0) : undefined;
  const typesRaw = arr(file, 'tokenizer.ggml.token_type');
  const tokenTypes = typesRaw ? Int32Array.from(typesRaw, (v) => num(v) ?? TokenType.NORMAL) : undefined;
  if ((scores && scores.length !== n) || (tokenTypes && tokenTypes.length !== n)) {
    throw new Error(`${file.path}: tokenizer.ggml.scores/token_type length differs from tokenizer.ggml.tokens (${n})`);
  }
  const mergesRaw = model === 'gpt2' ? arr(file, 'tokenizer.ggml.merges') : undefined;
  if (model === 'gpt2' && !mergesRaw) throw new Error(`${file.path}: BPE tokenizer without tokenizer.ggml.merges`);
  const merges = mergesRaw?.map((m) => String(m));
  const pre = file.getOptional('tokenizer.ggml.pre');
  const preName = typeof pre === 'string' ? pre : undefined;

  // llama.cpp defaults, then the file's keys (ids out of range keep the default, as llama.cpp does).
  const spm = model === 'llama';
  const id = (key: string, def: number | null): number | null => {
    const v = num(file.getOptional(key));
    if (v === undefined) return def;
    return v >= 0 && v < n ? v : def;
  };
  const bool = (key: string, def: boolean): boolean => {
    const v = file.getOptional(key);
    return typeof v === 'boolean' ? v : def;
  };
  const llama3Pre = preName === 'llama3' || preName === 'llama-v3' || preName === 'llama-bpe' || preName === 'falcon3' || preName === 'tekken' || preName === 'chameleon';
  const template = file.getOptional('tokenizer.chat_template');
  const name = file.getOptional('general.name');
  return {
    model,
    pre: preName,
    tokens,
    scores,
    tokenTypes,
    merges,
    bosId: id('tokenizer.ggml.bos_token_id', spm ? 1 : 11),
    eosId: id('tokenizer.ggml.eos_token_id', spm ? 2 : 11),
    eotId: id('tokenizer.ggml.eot_token_id', null),
    eomId: id('tokenizer.ggml.eom_token_id', null),
    unkId: id('tokenizer.ggml.unknown_token_id', spm ? 0 : null),
    padId: id('tokenizer.ggml.padding_token_id', null),
    addBos: bool('tokenizer.ggml.add_bos_token', spm || llama3Pre),
    addEos: bool('tokenizer.ggml.add_eos_token', false),
    addSpacePrefix: bool('tokenizer.ggml.add_space_prefix', spm),
    chatTemplate: typeof template === 'string' ? template : undefined,
    modelName: typeof name === 'string' ? name : undefined,
  };
}
