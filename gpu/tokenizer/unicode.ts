// Unicode helpers shared by the tokenizers: code point category flags the way llama.cpp's
// unicode.cpp classifies them, the GPT-2 byte<->unicode map, and UTF-8 encoding.

/** Category flags, same bit meaning as llama.cpp's unicode_cpt_flags (plus WHITESPACE). */
export const F_UNDEFINED = 0x0001;
export const F_NUMBER = 0x0002;
export const F_LETTER = 0x0004;
export const F_SEPARATOR = 0x0008;
export const F_MARK = 0x0010;
export const F_PUNCTUATION = 0x0020;
export const F_SYMBOL = 0x0040;
export const F_CONTROL = 0x0080;
export const F_WHITESPACE = 0x0100;

const RE_N = /^\p{N}$/u;
const RE_L = /^\p{L}$/u;
const RE_Z = /^\p{Z}$/u;
const RE_M = /^\p{M}$/u;
const RE_P = /^\p{P}$/u;
const RE_S = /^\p{S}$/u;
const RE_C = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
// llama.cpp's whitespace set is the Unicode White_Space property (not JS \s, which adds U+FEFF).
const RE_WS = /^\p{White_Space}$/u;

// Lazily filled: computing flags with regexes for all 1.1M code points up front would cost ~1 s.
const flagCache = new Uint16Array(0x110000);

function computeFlags(cp: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return F_CONTROL; // lone surrogate (Cs)
  const ch = String.fromCodePoint(cp);
  let f = 0;
  if (RE_N.test(ch)) f = F_NUMBER;
  else if (RE_L.test(ch)) f = F_LETTER;
  else if (RE_Z.test(ch)) f = F_SEPARATOR;
  else if (RE_M.test(ch)) f = F_MARK;
  else if (RE_P.test(ch)) f = F_PUNCTUATION;
  else if (RE_S.test(ch)) f = F_SYMBOL;
  else if (RE_C.test(ch)) f = F_CONTROL;
  else f = F_UNDEFINED;
  if (RE_WS.test(ch)) f |= F_WHITESPACE;
  return f;
}

/** Flags of a code point; 0 for values outside Unicode (llama.cpp's "out of range"). */
export function cptFlags(cp: number): number {
  if (cp < 0 || cp >= 0x110000) return 0;
  let f = flagCache[cp];
  if (f === 0) {
    f = computeFlags(cp);
    flagCache[cp] = f;
  }
  return f;
}

/** Splits a JS string into code points (lone surrogates become U+FFFD, as UTF-8 encoding would). */
export function toCodePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    out[n++] = c;
  }
  return out.subarray(0, n);
}

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
const utf8Encoder = new TextEncoder();

/** GPT-2's byte -> printable code point map (bytes that are printable map to themselves). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const map: string[] = new Array<string>(256);
  const direct = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = direct(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  }
  return map;
})();

/** Inverse of BYTE_TO_UNICODE, indexed by UTF-16 code unit; -1 where no byte maps there. */
export const UNICODE_TO_BYTE: Int16Array = (() => {
  const inv = new Int16Array(512).fill(-1);
  BYTE_TO_UNICODE.forEach((s, b) => {
    inv[s.charCodeAt(0)] = b;
  });
  return inv;
})();

/** Byte-level encoding of a string for byte-level BPE: UTF-8 bytes, each mapped through BYTE_TO_UNICODE. */
export function byteLevelEncode(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 0x80) {
      out += BYTE_TO_UNICODE[c];
      continue;
    }
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < word.length) {
      const d = word.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else cp = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
    if (cp < 0x800) {
      out += BYTE_TO_UNICODE[0xc0 | (cp >> 6)] + BYTE_TO_UNICODE[0x80 | (cp & 0x3f)];
    } else if (cp < 0x10000) {
      out += BYTE_TO_UNICODE[0xe0 | (cp >> 12)] + BYTE_TO_UNICODE[0x80 | ((cp >> 6) & 0x3f)] + BYTE_TO_UNICODE[0x80 | (cp & 0x3f)];
    } else {
      out +=
        BYTE_TO_UNICODE[0xf0 | (cp >> 18)] +
        BYTE_TO_UNICODE[0x80 | ((cp >> 12) & 0x3f)] +
        BYTE_TO_UNICODE[0x80 | ((cp >> 6) & 0x3f)] +
        BYTE_TO_UNICODE[0x80 | (cp & 0x3f)];
    }
  }
  return out;
}
