// The tokenizer interface every tokenizer implementation provides (see gpu/tokenizer/index.ts).

export interface EncodeOptions {
  /** Prepend BOS. Default: the model's `tokenizer.ggml.add_bos_token` setting. */
  addBos?: boolean;
  /** Parse special/control tokens written literally in the text (only for template-owned text). Default false. */
  parseSpecial?: boolean;
  /**
   * Text from outside (file contents, selections, questions): no special token of any kind, not even
   * USER_DEFINED ones such as Qwen3's `<think>`, which llama.cpp splits out even with parseSpecial off.
   * Overrides parseSpecial. Default false (llama.cpp's behaviour, which the CLI's tokenize reproduces).
   */
  untrusted?: boolean;
  /** Append EOS (only if the model's tokenizer.ggml.add_eos_token is set). Default false. */
  addEos?: boolean;
}

/** A piece of text to encode, and whether special tokens written in it are honoured. */
export interface TextPart {
  text: string;
  parseSpecial: boolean;
  /** As EncodeOptions.untrusted: no special token at all in this part. */
  untrusted?: boolean;
}

export interface StreamDecoder {
  /** Returns the text that is now complete; never splits a UTF-8 character across two calls. */
  push(id: number): string;
  /** Returns what is still pending (replacement characters for incomplete bytes). */
  flush(): string;
}

export interface Tokenizer {
  readonly kind: 'spm' | 'bpe';
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  /** End-of-generation ids: EOS, EOT, and other end-of-turn control tokens from the GGUF. */
  readonly stopIds: ReadonlySet<number>;
  readonly addBosDefault: boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string;
  /** `stripLeadingSpace` (default true) drops the SPM space prefix from the first piece, as decode() does. */
  createStreamDecoder(opts?: { skipSpecial?: boolean; stripLeadingSpace?: boolean }): StreamDecoder;
  tokenText(id: number): string;
  isSpecial(id: number): boolean;
  /** Encodes parts as one text: adjacent plain parts join, control tokens only count in parts that allow them. */
  encodeParts?(parts: readonly TextPart[], opts?: Omit<EncodeOptions, 'parseSpecial' | 'untrusted'>): number[];
  /** The model's tokenizer.chat_template, if any. */
  readonly chatTemplate?: string;
  /** Id of the token whose text is exactly `text`, if any. */
  tokenId?(text: string): number | undefined;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
