// Byte-level BPE pre-tokenizers, selected by `tokenizer.ggml.pre`, reproducing llama.cpp's
// unicode_regex_split: each regex of a list splits every fragment left by the previous one (matched
// and unmatched pieces both stay fragments). The GPT-2 and Llama-3 patterns use hand-written
// splitters (as llama.cpp does, so edge cases match it rather than a regex engine); the others run as
// JS regexes over llama.cpp's "collapsed" text, where every non-ASCII code point is replaced by one
// stand-in character per Unicode category, so \p{L} etc. mean exactly what they mean in llama.cpp.
import { cptFlags, toCodePoints, F_LETTER, F_NUMBER, F_PUNCTUATION, F_MARK, F_SYMBOL, F_WHITESPACE } from './unicode';

export interface PreTokenizer {
  readonly pre: string;
  /** llama.cpp's ignore_merges: a whole pre-token found in the vocabulary is emitted as is. */
  readonly ignoreMerges: boolean;
  /** Splits text into pre-tokens (words); their concatenation is the input. */
  split(text: string): string[];
}

const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const CJK = '[一-龥ࠀ-一가-퟿]+';

// Regex lists copied from llama.cpp's llm_tokenizer_bpe (llama-vocab.cpp), keyed by pre-type.
const LISTS: Record<string, readonly string[]> = {
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
  gpt2: [GPT2],
  llama3: [LLAMA3],
  qwen2: [QWEN2],
  'deepseek-llm': [
    '[\r\n]',
    '\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+',
    '\\s?[!-/:-~！-／：-～‘-‟　-。]+',
    '\\s+$',
    CJK,
    '\\p{N}+',
  ],
  'deepseek-v3': [
    '\\p{N}{1,3}',
    '[一-龥぀-ゟ゠-ヿ]+',
    '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+',
  ],
  'deepseek-coder': ['[\r\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', CJK, '\\p{N}'],
  falcon: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'],
  starcoder: ['\\p{N}', GPT2],
  poro: [' ?[^(\\s|.,!?…。，、।۔،)]+'],
  viking: [' ?[^(\\s|.,!?…。，、।۔،)]+', '\\p{N}'],
  tekken: [
    '[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+',
  ],
  chameleon: ['<sentinel:[0-9]+>', '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z', '([\\t\\n]|    |  )', '\\p{N}', '[\\p{P}!-/:-@\\[-`{-~]', GPT2],
};

/** `tokenizer.ggml.pre` value -> [regex list, ignore_merges], as in llama_vocab::impl::load. */
const PRE_TYPES: Record<string, [keyof typeof LISTS, boolean]> = {
  default: ['default', false],
  llama3: ['llama3', true],
  'llama-v3': ['llama3', true],
  'llama-bpe': ['llama3', true],
  falcon3: ['llama3', true],
  dbrx: ['llama3', false],
  'smaug-bpe': ['llama3', false],
  'chatglm-bpe': ['llama3', false],
  'deepseek-llm': ['deepseek-llm', false],
  'deepseek-coder': ['deepseek-coder', false],
  'deepseek-v3': ['deepseek-v3', false],
  falcon: ['falcon', false],
  mpt: ['gpt2', false],
  olmo: ['gpt2', false],
  jais: ['gpt2', false],
  'gpt-2': ['gpt2', false],
  'phi-2': ['gpt2', false],
  'jina-es': ['gpt2', false],
  'jina-de': ['gpt2', false],
  gigachat: ['gpt2', false],
  'jina-v1-en': ['gpt2', false],
  'jina-v2-es': ['gpt2', false],
  'jina-v2-de': ['gpt2', false],
  'jina-v2-code': ['gpt2', false],
  'roberta-bpe': ['gpt2', false],
  starcoder: ['starcoder', false],
  refact: ['starcoder', false],
  'command-r': ['starcoder', false],
  smollm: ['starcoder', false],
  codeshell: ['starcoder', false],
  exaone: ['starcoder', false],
  'minerva-7b': ['starcoder', false],
  qwen2: ['qwen2', false],
  stablelm2: ['qwen2', false],
  megrez: ['qwen2', false],
  'poro-chat': ['poro', false],
  bloom: ['poro', false],
  'gpt3-finnish': ['poro', false],
  viking: ['viking', false],
  tekken: ['tekken', true],
  chameleon: ['chameleon', false],
};

export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = Object.keys(PRE_TYPES);

type Stage = { kind: 'gpt2' } | { kind: 'llama3' } | { kind: 'regex'; re: RegExp; collapsed: boolean };

// Stand-ins for the collapsed text (llama.cpp uses the bytes 0xD0..0xD5 and 0x0B the same way).
const COLLAPSE_OTHER = 0xd0;
const CATEGORY_CLASS: Record<string, string> = {
  N: '\\u00D10-9',
  L: '\\u00D2A-Za-z',
  P: '\\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}',
  M: '\\u00D4',
  S: '\\u00D5\\$\\+<->\\^`\\|',
};

/** Rewrites a llama.cpp regex with \p{X} classes to run on collapsed text (unicode_regex_split's rewrite). */
function collapseRegex(src: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '[' && (i === 0 || src[i - 1] !== '\\')) {
      out += '[';
      inside = true;
      continue;
    }
    if (inside && c === ']' && src[i - 1] !== '\\') {
      out += ']';
      inside = false;
      continue;
    }
    if (c === '\\' && src[i + 1] === 'p' && src[i + 2] === '{' && src[i + 4] === '}' && CATEGORY_CLASS[src[i + 3]] !== undefined) {
      const cls = CATEGORY_CLASS[src[i + 3]];
      out += inside ? cls : `[${cls}]`;
      i += 4;
      continue;
    }
    out += c;
  }
  return out;
}

/** For regexes run on real code points: \s must mean ASCII whitespace + VT only (std::wregex, with
 * non-ASCII whitespace already replaced by VT); JS's \s would also match U+FEFF. */
function asciiSpaces(src: string): string {
  let out = '';
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const d = src[i + 1];
      if (d === 's') out += inside ? '\\t\\n\\v\\f\\r ' : '[\\t\\n\\v\\f\\r ]';
      else if (d === 'S' && !inside) out += '[^\\t\\n\\v\\f\\r ]';
      else out += c + d;
      i++;
      continue;
    }
    if (c === '[') inside = true;
    else if (c === ']') inside = false;
    out += c;
  }
  return out;
}

function compileStage(src: string): Stage {
  if (src === GPT2) return { kind: 'gpt2' };
  if (src === LLAMA3) return { kind: 'llama3' };
  if (/\\p\{[NLPMS]\}/.test(src)) {
    if (/[^\x00-\x7f]/.test(src)) throw new Error(`pre-tokenizer regex mixes Unicode categories and non-ASCII characters: ${src}`);
    return { kind: 'regex', re: new RegExp(collapseRegex(src), 'g'), collapsed: true };
  }
  return { kind: 'regex', re: new RegExp(asciiSpaces(src), 'gu'), collapsed: false };
}

const isLetter = (f: number) => (f & F_LETTER) !== 0;
const isNumber = (f: number) => (f & F_NUMBER) !== 0;
const isSpace = (f: number) => (f & F_WHITESPACE) !== 0;

interface SplitText {
  cpts: Uint32Array;
  flags: Uint16Array;
}

/** llama.cpp's unicode_regex_split_custom_gpt2 for one fragment [ini, end). */
function splitGpt2(t: SplitText, ini: number, end: number, out: number[]): void {
  const { cpts, flags } = t;
  const cpt = (p: number) => (p >= ini && p < end ? cpts[p] : -1);
  const fl = (p: number) => (p >= ini && p < end ? flags[p] : 0);
  let prev = ini;
  const add = (e: number) => {
    const len = e - prev;
    if (len > 0) out.push(len);
    prev = e;
    return len;
  };
  for (let pos = ini; pos < end; ) {
    const c = cpt(pos);
    const f = fl(pos);
    if (c === 0x27 && pos + 1 < end) {
      const n1 = cpt(pos + 1);
      if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
        pos += add(pos + 2);
        continue;
      }
      if (pos + 2 < end) {
        const n2 = cpt(pos + 2);
        if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
          pos += add(pos + 3);
          continue;
        }
      }
    }
    let f2 = c === 0x20 ? fl(pos + 1) : f;
    if (isLetter(f2)) {
      pos += c === 0x20 ? 1 : 0;
      while (isLetter(f2)) f2 = fl(++pos);
      add(pos);
      continue;
    }
    if (isNumber(f2)) {
      pos += c === 0x20 ? 1 : 0;
      while (isNumber(f2)) f2 = fl(++pos);
      add(pos);
      continue;
    }
    if (!(isSpace(f2) || isLetter(f2) || isNumber(f2)) && f2 !== 0) {
      pos += c === 0x20 ? 1 : 0;
      while (!(isSpace(f2) || isLetter(f2) || isNumber(f2)) && f2 !== 0) f2 = fl(++pos);
      add(pos);
      continue;
    }
    let nws = 0;
    while (isSpace(fl(pos + nws))) nws++;
    if (nws > 1 && cpt(pos + nws) !== -1) {
      pos += nws - 1;
      add(pos);
      continue;
    }
    if (nws > 0) {
      pos += nws;
      add(pos);
      continue;
    }
    add(++pos);
  }
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** llama.cpp's unicode_regex_split_custom_llama3 for one fragment [ini, end). */
function splitLlama3(t: SplitText, ini: number, end: number, out: number[]): void {
  const { cpts, flags } = t;
  const cpt = (p: number) => (p >= ini && p < end ? cpts[p] : -1);
  const fl = (p: number) => (p >= ini && p < end ? flags[p] : 0);
  let prev = ini;
  const add = (e: number) => {
    const len = e - prev;
    if (len > 0) out.push(len);
    prev = e;
    return len;
  };
  for (let pos = ini; pos < end; ) {
    const c = cpt(pos);
    const f = fl(pos);
    if (c === 0x27 && pos + 1 < end) {
      const n1 = lower(cpt(pos + 1));
      if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
        pos += add(pos + 2);
        continue;
      }
      if (pos + 2 < end) {
        const n2 = lower(cpt(pos + 2));
        if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
          pos += add(pos + 3);
          continue;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(c === 0x0d || c === 0x0a || isNumber(f))) {
      if (isLetter(f) || isLetter(fl(pos + 1))) {
        pos++;
        while (isLetter(fl(pos))) pos++;
        add(pos);
        continue;
      }
    }
    // \p{N}{1,3}
    if (isNumber(f)) {
      let start = pos;
      while (isNumber(fl(pos))) {
        if (++pos - start >= 3) {
          add(pos);
          start = pos;
        }
      }
      add(pos);
      continue;
    }
    // <space>?[^\s\p{L}\p{N}]+[\r\n]*
    let f2 = c === 0x20 ? fl(pos + 1) : f;
    if (!(isSpace(f2) || isLetter(f2) || isNumber(f2)) && f !== 0) {
      pos += c === 0x20 ? 1 : 0;
      while (!(isSpace(f2) || isLetter(f2) || isNumber(f2)) && f2 !== 0) f2 = fl(++pos);
      let c2 = cpt(pos);
      while (c2 === 0x0d || c2 === 0x0a) c2 = cpt(++pos);
      add(pos);
      continue;
    }
    let nws = 0;
    let lastRN = 0;
    while (isSpace(fl(pos + nws))) {
      const c2 = cpt(pos + nws);
      if (c2 === 0x0d || c2 === 0x0a) lastRN = pos + nws + 1;
      nws++;
    }
    if (lastRN > 0) {
      pos = lastRN;
      add(pos);
      continue;
    }
    if (nws > 1 && cpt(pos + nws) !== -1) {
      pos += nws - 1;
      add(pos);
      continue;
    }
    if (nws > 0) {
      pos += nws;
      add(pos);
      continue;
    }
    add(++pos);
  }
}

function collapsedText(t: SplitText): string {
  const { cpts, flags } = t;
  const codes = new Uint16Array(cpts.length);
  for (let i = 0; i < cpts.length; i++) {
    const cp = cpts[i];
    if (cp < 128) {
      codes[i] = cp;
      continue;
    }
    const f = flags[i];
    if (f & F_WHITESPACE) codes[i] = 0x0b;
    else if (f & F_NUMBER) codes[i] = 0xd1;
    else if (f & F_LETTER) codes[i] = 0xd2;
    else if (f & F_PUNCTUATION) codes[i] = 0xd3;
    else if (f & F_MARK) codes[i] = 0xd4;
    else if (f & F_SYMBOL) codes[i] = 0xd5;
    else codes[i] = COLLAPSE_OTHER;
  }
  return fromCharCodes(codes);
}

const utf16 = new TextDecoder('utf-16le');
function fromCharCodes(codes: Uint16Array): string {
  // Native UTF-16 decoding: much faster than String.fromCharCode over chunks. (Little-endian hosts.)
  return utf16.decode(codes);
}

// Non-ASCII White_Space code points (all in the BMP) and lone surrogates.
const NON_ASCII_SPACE = /[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text as std::wregex sees it in llama.cpp: non-ASCII whitespace replaced by VT (same UTF-16 offsets). */
function wideText(text: string): string {
  return text.replace(NON_ASCII_SPACE, '\v').replace(LONE_SURROGATE, '\ufffd');
}

function countCodePoints(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** unicode_regex_split_stl: matches and the gaps between them all become fragments. */
function splitRegex(re: RegExp, text: string, collapsed: boolean, lengths: number[], u16: Uint32Array | null): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of lengths) {
    let frag: string;
    if (collapsed) frag = text.slice(start, start + len);
    else frag = text.slice(u16![start], u16![start + len]);
    re.lastIndex = 0;
    let last = 0; // in code units of frag
    let m: RegExpExecArray | null;
    while ((m = re.exec(frag)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const idx = m.index;
      const end = idx + m[0].length;
      if (idx > last) out.push(collapsed ? idx - last : countCodePoints(frag, last, idx));
      out.push(collapsed ? end - idx : countCodePoints(frag, idx, end));
      last = end;
    }
    if (last < frag.length) out.push(collapsed ? frag.length - last : countCodePoints(frag, last, frag.length));
    start += len;
  }
  return out;
}

const asciiFlags = Uint16Array.from({ length: 128 }, (_, c) => cptFlags(c));

export function createPreTokenizer(pre: string | undefined): PreTokenizer {
  const name = pre === undefined || pre === '' ? 'default' : pre;
  const entry = PRE_TYPES[name];
  if (!entry) {
    throw new Error(`unsupported pre-tokenizer '${name}' (tokenizer.ggml.pre); supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')}`);
  }
  const stages = LISTS[entry[0]].map(compileStage);
  const needsCollapsed = stages.some((s) => s.kind === 'regex' && s.collapsed);
  const needsWide = stages.some((s) => s.kind === 'regex' && !s.collapsed);
  return {
    pre: name,
    ignoreMerges: entry[1],
    split(text: string): string[] {
      if (text.length === 0) return [];
      const cpts = toCodePoints(text);
      const flags = new Uint16Array(cpts.length);
      for (let i = 0; i < cpts.length; i++) flags[i] = cpts[i] < 0x80 ? asciiFlags[cpts[i]] : cptFlags(cpts[i]);
      const t: SplitText = { cpts, flags };
      // UTF-16 offset of each code point, to cut words out of the original string.
      const u16 = new Uint32Array(cpts.length + 1);
      for (let i = 0; i < cpts.length; i++) u16[i + 1] = u16[i] + (cpts[i] > 0xffff ? 2 : 1);
      const collapsed = needsCollapsed ? collapsedText(t) : '';
      const wide = needsWide ? wideText(text) : '';
      let lengths: number[] = [cpts.length];
      for (const st of stages) {
        if (st.kind === 'regex') {
          lengths = splitRegex(st.re, st.collapsed ? collapsed : wide, st.collapsed, lengths, u16);
          continue;
        }
        const out: number[] = [];
        let start = 0;
        for (const len of lengths) {
          if (st.kind === 'gpt2') splitGpt2(t, start, start + len, out);
          else splitLlama3(t, start, start + len, out);
          start += len;
        }
        lengths = out;
      }
      const words: string[] = new Array<string>(lengths.length);
      let start = 0;
      for (let i = 0; i < lengths.length; i++) {
        words[i] = text.slice(u16[start], u16[start + lengths[i]]);
        start += lengths[i];
      }
      return words;
    },
  };
}
