// SentencePiece BPE (tokenizer.ggml.model = "llama"), as llama.cpp's llm_tokenizer_spm_session:
// spaces become U+2581 "▁" (the caller adds the leading space), the text is split into code points,
// and adjacent pairs whose concatenation is a vocabulary token merge best-score-first (leftmost on
// ties). Pieces left that are not tokens are emitted as <0xXX> byte tokens.
import { BigramHeap } from './bigram-heap';
import { SymbolScratch } from './scratch';
import { utf8Bytes } from './unicode';

export const SPM_SPACE = '\u2581';

const CACHE_LIMIT = 200_000;

export class SpmModel {
  private readonly heap = new BigramHeap();
  private readonly scratch = new SymbolScratch();
  private readonly cache = new Map<string, readonly number[]>();
  /**
   * True when no vocabulary token has a "▁" right after a non-"▁" character. Then no merge can ever
   * cross the junction before such a "▁", so the text can be cut there and each piece tokenized on
   * its own (and cached) with a result identical to tokenizing the whole text at once — the difference
   * between seconds and milliseconds on a large file.
   */
  private readonly splitAtSpaces: boolean;
  private readonly popped = new Int32Array(3);
  private readonly byteIds = new Int32Array(256);

  constructor(
    private readonly tokenToId: ReadonlyMap<string, number>,
    private readonly scores: Float32Array,
    unkId: number,
  ) {
    for (let b = 0; b < 256; b++) {
      const hex = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      // llama.cpp's byte_to_token: the <0xXX> token, else the byte itself as a one-char token.
      this.byteIds[b] = tokenToId.get(hex) ?? (b < 0x80 ? tokenToId.get(String.fromCharCode(b)) : undefined) ?? unkId;
    }
    let safe = true;
    for (const t of tokenToId.keys()) {
      for (let j = t.indexOf(SPM_SPACE, 1); j > 0; j = t.indexOf(SPM_SPACE, j + 1)) {
        if (t[j - 1] !== SPM_SPACE) {
          safe = false;
          break;
        }
      }
      if (!safe) break;
    }
    this.splitAtSpaces = safe;
  }

  /** Tokenizes one text fragment; `text` must already have the space prefix rule applied. */
  encode(rawText: string, out: number[]): void {
    if (rawText.length === 0) return;
    const s = rawText.replaceAll(' ', SPM_SPACE);
    if (!this.splitAtSpaces) {
      this.encodeSegment(s, out);
      return;
    }
    let from = 0;
    for (;;) {
      let at = s.indexOf(SPM_SPACE, from + 1);
      while (at > 0 && s[at - 1] === SPM_SPACE) at = s.indexOf(SPM_SPACE, at + 1);
      const seg = at < 0 ? s.slice(from) : s.slice(from, at);
      let ids = this.cache.get(seg);
      if (ids === undefined) {
        const tmp: number[] = [];
        this.encodeSegment(seg, tmp);
        ids = tmp;
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(seg, ids);
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      if (at < 0) break;
      from = at;
    }
  }

  private encodeSegment(s: string, out: number[]): void {
    // Symbols are code points, addressed by UTF-16 offset/length into s.
    this.scratch.ensure(s.length);
    const { start, len, prev, next } = this.scratch;
    let n = 0;
    for (let i = 0; i < s.length; ) {
      const c = s.charCodeAt(i);
      const w = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
      start[n] = i;
      len[n] = w;
      prev[n] = n - 1;
      next[n] = n + 1;
      n++;
      i += w;
    }
    next[n - 1] = -1;
    const heap = this.heap;
    heap.clear();
    const tryAdd = (l: number, r: number) => {
      if (l < 0 || r < 0) return;
      const id = this.tokenToId.get(s.substr(start[l], len[l] + len[r]));
      if (id === undefined) return;
      // Max-score first == min of -score; ties by the smaller left index, as in llama.cpp.
      heap.push(-this.scores[id], l, r, len[l] + len[r]);
    };
    for (let i = 1; i < n; i++) tryAdd(i - 1, i);
    const p = this.popped;
    while (heap.pop(p)) {
      const l = p[0];
      const r = p[1];
      if (len[l] === 0 || len[r] === 0 || len[l] + len[r] !== p[2]) continue;
      len[l] += len[r];
      len[r] = 0;
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      tryAdd(prev[l], l);
      tryAdd(l, next[l]);
    }
    // llama.cpp's resegment() also consults a reverse-merge table, but every merged symbol is a
    // vocabulary token by construction, so only single code points can miss: those go to bytes.
    for (let i = 0; i !== -1; i = next[i]) {
      const piece = s.substr(start[i], len[i]);
      const id = this.tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of utf8Bytes(piece)) out.push(this.byteIds[b]);
    }
  }
}
