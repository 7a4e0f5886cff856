// Strict UTF-8 decoding. Token vocabularies hold ~10^5 short strings; a TextDecoder call per string
// dominates header parsing, so short strings are decoded here in JS with the same strictness
// (no overlongs, no surrogates, nothing above U+10FFFF), long ones by a fatal TextDecoder.

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SHORT = 64;
const units = new Uint16Array(SHORT);

/** Decodes `b` or returns null when it is not valid UTF-8. */
export function decodeUtf8Strict(buf: Uint8Array, start = 0, end = buf.length): string | null {
  const n = end - start;
  if (n > SHORT) {
    try {
      return fatal.decode(buf.subarray(start, end));
    } catch {
      return null;
    }
  }
  const b = buf;
  let u = 0;
  for (let i = start; i < end; ) {
    const c = b[i]!;
    if (c < 0x80) {
      units[u++] = c;
      i += 1;
      continue;
    }
    let cp: number;
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { cp = c & 0x1f; need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { cp = c & 0x0f; need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { cp = c & 0x07; need = 3; min = 0x10000; }
    else return null;
    if (i + need >= end) return null;
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      units[u++] = 0xd800 | (v >> 10);
      units[u++] = 0xdc00 | (v & 0x3ff);
    } else {
      units[u++] = cp;
    }
    i += need + 1;
  }
  return String.fromCharCode.apply(null, units.subarray(0, u) as unknown as number[]);
}
