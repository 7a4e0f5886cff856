// Turning file bytes into prompt text: binary sniffing and lossy UTF-8 decoding.

/** Bytes inspected to decide text vs binary (same window git and VS Code use). */
export const SNIFF_BYTES = 8192;

/**
 * True for data that is not text: any NUL byte, or more than 10% control bytes other than
 * tab/newline/CR/form-feed/escape in the first 8 KiB. Extension-independent on purpose: a
 * binary blob named `.ts` must still be rejected.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
  }
  return n > 0 && control / n > 0.1;
}

export interface DecodedText {
  text: string;
  /** True when invalid UTF-8 sequences were replaced with U+FFFD. */
  lossy: boolean;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Decodes UTF-8 (BOM stripped); invalid sequences become U+FFFD instead of failing the file. */
export function decodeText(bytes: Uint8Array): DecodedText {
  try {
    return { text: normalizeNewlines(strict.decode(bytes)), lossy: false };
  } catch {
    return { text: normalizeNewlines(lenient.decode(bytes)), lossy: true };
  }
}

// CRLF and LF files must produce the same tokens, or a checkout on Windows would change the prompt prefix.
function normalizeNewlines(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}
