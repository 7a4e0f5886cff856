// The vocabulary as llama.cpp's llama_vocab::impl::load sees it: text<->id maps, token attributes,
// the special-token list used to split text, and the end-of-generation set.
import { TokenType, type TokenizerData } from './data';

export const ATTR_LSTRIP = 1;
export const ATTR_RSTRIP = 2;

/** Texts llama.cpp treats as end-of-turn/end-of-generation markers (and forces to CONTROL). */
// (The union of the lists in recent llama.cpp versions; node-llama-cpp's build marks these too.)
const EOT_TEXTS = [
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '<｜end▁of▁sentence｜>',
  '<end_of_utterance>',
];
const EOG_TEXTS = [
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '<|eom_id|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '<|end_of_text|>',
  '<end_of_utterance>',
  '</s>',
];
// Fill-in-the-middle markers llama.cpp recognises by text (and forces to CONTROL); the pad, repo and
// file-separator ones also end generation.
const FIM_TEXTS: ReadonlyArray<{ texts: readonly string[]; eog: boolean }> = [
  { texts: ['<|fim_prefix|>', '<fim-prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>'], eog: false },
  { texts: ['<|fim_suffix|>', '<fim-suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>'], eog: false },
  { texts: ['<|fim_middle|>', '<fim-middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>'], eog: false },
  { texts: ['<|fim_pad|>', '<fim-pad>', '<PAD>'], eog: true },
  { texts: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>'], eog: true },
  { texts: ['<|file_sep|>'], eog: true },
];

export class Vocab {
  readonly tokens: string[];
  readonly tokenToId = new Map<string, number>();
  readonly types: Int32Array;
  readonly scores: Float32Array;
  /** Per-token ATTR_LSTRIP / ATTR_RSTRIP bits. */
  readonly strip: Uint8Array;
  /** CONTROL, USER_DEFINED and UNKNOWN tokens, longest (UTF-8 bytes) first: the order text is split on them. */
  readonly specialCache: readonly number[];
  readonly eotId: number | null;
  readonly eomId: number | null;
  readonly stopIds: ReadonlySet<number>;

  constructor(data: TokenizerData) {
    const n = data.tokens.length;
    if (n === 0) throw new Error('tokenizer has an empty vocabulary');
    this.tokens = data.tokens.map((t, i) => (t.length === 0 ? `[EMPTY_${i}]` : t));
    this.tokens.forEach((t, i) => this.tokenToId.set(t, i));
    this.types = new Int32Array(n).fill(TokenType.NORMAL);
    if (data.tokenTypes) {
      if (data.tokenTypes.length !== n) throw new Error(`token_type has ${data.tokenTypes.length} entries for ${n} tokens`);
      this.types.set(data.tokenTypes);
    }
    this.scores = new Float32Array(n);
    if (data.scores) {
      if (data.scores.length !== n) throw new Error(`scores has ${data.scores.length} entries for ${n} tokens`);
      this.scores.set(data.scores);
    }
    for (const [name, v] of [
      ['bos', data.bosId],
      ['eos', data.eosId],
      ['eot', data.eotId],
      ['eom', data.eomId],
    ] as const) {
      if (v !== null && v !== undefined && !(Number.isInteger(v) && v >= 0 && v < n)) throw new Error(`${name} token id ${v} is outside the vocabulary (0..${n - 1})`);
    }

    const forceControl = (id: number) => {
      if (this.types[id] !== TokenType.CONTROL) this.types[id] = TokenType.CONTROL;
    };
    let eot = data.eotId ?? null;
    let eom = data.eomId ?? null;
    if (eot === null) {
      for (const t of EOT_TEXTS) {
        const id = this.tokenToId.get(t);
        if (id !== undefined) {
          eot = id;
          forceControl(id);
          break;
        }
      }
    }
    if (eom === null) {
      const id = this.tokenToId.get('<|eom_id|>');
      if (id !== undefined) {
        eom = id;
        forceControl(id);
      }
    }
    this.eotId = eot;
    this.eomId = eom;
    const stop = new Set<number>();
    for (const fim of FIM_TEXTS) {
      const id = fim.texts.map((t) => this.tokenToId.get(t)).find((v) => v !== undefined);
      if (id === undefined) continue;
      forceControl(id);
      if (fim.eog) stop.add(id);
    }
    for (const t of EOG_TEXTS) {
      const id = this.tokenToId.get(t);
      if (id !== undefined) {
        stop.add(id);
        forceControl(id);
      }
    }
    for (const id of [data.eosId, eot, eom]) if (id !== null && id !== undefined) stop.add(id);
    this.stopIds = stop;

    const special: number[] = [];
    for (let i = 0; i < n; i++) {
      const ty = this.types[i];
      if (ty === TokenType.CONTROL || ty === TokenType.USER_DEFINED || ty === TokenType.UNKNOWN) special.push(i);
    }
    const bytes = (id: number) => Buffer.byteLength(this.tokens[id], 'utf8');
    special.sort((a, b) => bytes(b) - bytes(a) || a - b);
    this.specialCache = special;

    // llama.cpp: for Phi-3 models every special token eats the whitespace after it, except <unk>,
    // <s> and <|endoftext|>; </s> always does.
    this.strip = new Uint8Array(n);
    const lname = (data.modelName ?? '').toLowerCase();
    if (lname.includes('phi-3') || lname.includes('phi3')) {
      for (const id of special) this.strip[id] |= ATTR_RSTRIP;
      const setR = (t: string, on: boolean) => {
        const id = this.tokenToId.get(t);
        if (id !== undefined) this.strip[id] = on ? this.strip[id] | ATTR_RSTRIP : this.strip[id] & ~ATTR_RSTRIP;
      };
      setR('</s>', true);
      for (const t of ['<unk>', '<s>', '<|endoftext|>']) setR(t, false);
    }
  }

  get size(): number {
    return this.tokens.length;
  }

  isControlOrUnknown(id: number): boolean {
    const t = this.types[id];
    return t === TokenType.CONTROL || t === TokenType.UNKNOWN;
  }
}
