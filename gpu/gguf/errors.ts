// The one error type the GGUF reader and the model description throw for bad input. Callers (CLI,
// engine, extension, fuzz harness) tell "this file is bad" from "we have a bug" by `instanceof GGUFError`.

export type GGUFErrorCode =
  | 'truncated' // the file ends before a structure it announces
  | 'bad-magic' // not a GGUF file
  | 'unsupported-version' // GGUF v1 or a future version
  | 'bad-value-type' // metadata value type tag outside 0..12 (or nesting too deep)
  | 'bad-value' // a value that cannot be right (bool not 0/1, negative count ...)
  | 'too-large' // a count/length/dimension beyond the file or the reader's memory bound
  | 'bad-offset' // tensor data outside the file, unaligned, or overlapping another tensor
  | 'bad-alignment' // general.alignment is not a power of two
  | 'bad-shape' // tensor dims that ggml cannot hold (n_dims > 4, zero, not a block multiple)
  | 'duplicate-key' // a metadata key or tensor name appears twice
  | 'bad-utf8' // a string is not valid UTF-8
  | 'missing-key' // a required metadata key is absent
  | 'wrong-type' // a metadata key has a value type the consumer cannot use
  | 'missing-tensor' // a tensor the architecture needs is absent
  | 'unsupported-arch' // architecture other than llama/qwen2/qwen3
  | 'unsupported-type' // tensor type we cannot compute with
  | 'unsupported-feature' // e.g. a RoPE scaling type we do not implement
  | 'io'; // the operating system failed to read the file

export class GGUFError extends Error {
  override readonly name = 'GGUFError';
  constructor(
    readonly code: GGUFErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Quotes a string taken from a file for an error message or terminal output: at most `max` characters,
 * control characters escaped, so a hostile key cannot flood a message or send terminal escapes.
 */
export function q(s: string, max = 80): string {
  const short = s.length > max ? `${s.slice(0, max)}…` : s;
  const esc = short.replace(/[\u0000-\u001f\u007f-\u009f\\']/g, (c) =>
    c === "'" ? "\\'" : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `'${esc}'`;
}
