// Token ids -> bytes -> text, as llama.cpp's token_to_piece: SPM pieces turn "▁" into spaces and
// <0xXX> tokens into raw bytes; byte-level BPE pieces map each character back to its byte. Bytes are
// joined before UTF-8 decoding, so characters split over several tokens (emoji, CJK) come out whole.
import { TokenType } from './data';
import { SPM_SPACE } from './spm';
import { UNICODE_TO_BYTE, utf8Bytes } from './unicode';
import type { Vocab } from './vocab';
import type { StreamDecoder } from './types';

const EMPTY = new Uint8Array(0);

export class Detokenizer {
  private readonly pieces: (Uint8Array | undefined)[];

  constructor(
    private readonly vocab: Vocab,
    private readonly kind: 'spm' | 'bpe',
    private readonly bosId: number | null,
    /** SPM with the space prefix: the first piece of a sequence loses one leading space. */
    private readonly stripFirstSpace: boolean,
  ) {
    this.pieces = new Array<Uint8Array | undefined>(vocab.size);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocab.size - 1})`);
  }

  /** Bytes of one token; control/unknown tokens are empty unless `showSpecial`. */
  piece(id: number, showSpecial: boolean): Uint8Array {
    this.checkId(id);
    if (this.vocab.isControlOrUnknown(id)) return showSpecial ? utf8Bytes(this.vocab.tokens[id]) : EMPTY;
    let p = this.pieces[id];
    if (p === undefined) {
      p = this.computePiece(id);
      this.pieces[id] = p;
    }
    return p;
  }

  private computePiece(id: number): Uint8Array {
    const text = this.vocab.tokens[id];
    const ty = this.vocab.types[id];
    if (ty === TokenType.USER_DEFINED) return utf8Bytes(text);
    if (this.kind === 'spm') {
      if (ty === TokenType.NORMAL) return utf8Bytes(text.replaceAll(SPM_SPACE, ' '));
      if (ty === TokenType.BYTE) {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
        return m ? Uint8Array.of(parseInt(m[1], 16)) : utf8Bytes(text);
      }
      return EMPTY;
    }
    if (ty !== TokenType.NORMAL) return EMPTY;
    const out: number[] = [];
    for (const ch of text) {
      const c = ch.charCodeAt(0);
      const b = ch.length === 1 && c < UNICODE_TO_BYTE.length ? UNICODE_TO_BYTE[c] : -1;
      if (b >= 0) out.push(b);
      else for (const x of utf8Bytes(ch)) out.push(x); // not a byte-level char: keep it as text
    }
    return Uint8Array.from(out);
  }

  /** Index of the token whose piece may lose its leading space (after an optional BOS), or -1. */
  private firstTextIndex(ids: readonly number[]): number {
    if (!this.stripFirstSpace || ids.length === 0) return -1;
    return ids[0] === this.bosId ? 1 : 0;
  }

  decode(ids: readonly number[], showSpecial: boolean): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    const first = this.firstTextIndex(ids);
    for (let i = 0; i < ids.length; i++) {
      let p = this.piece(ids[i], showSpecial);
      if (i === first && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      parts.push(p);
      total += p.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return new TextDecoder('utf-8').decode(all);
  }

  stream(showSpecial: boolean, stripLeadingSpace: boolean): StreamDecoder {
    const dec = new TextDecoder('utf-8');
    let index = 0;
    let firstText = -1;
    return {
      push: (id: number): string => {
        let p = this.piece(id, showSpecial);
        if (index === 0) firstText = stripLeadingSpace && this.stripFirstSpace ? (id === this.bosId ? 1 : 0) : -1;
        if (index === firstText && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
        index++;
        // stream: true keeps an incomplete UTF-8 sequence buffered until its last byte arrives.
        return dec.decode(p, { stream: true });
      },
      flush: (): string => dec.decode(),
    };
  }
}
