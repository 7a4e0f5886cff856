// Byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp's llm_tokenizer_bpe_session: the
// text is pre-tokenized into words, each word is byte-level encoded and merged pair by pair in merge
// rank order (lowest rank first, leftmost first on ties). Words repeat a lot in source code, so the
// ids of each word are cached.
import { BigramHeap } from './bigram-heap';
import { SymbolScratch } from './scratch';
import { byteLevelEncode } from './unicode';
import type { PreTokenizer } from './pretokenize';

const CACHE_LIMIT = 200_000;

export class BpeModel {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly number[]>();
  private readonly heap = new BigramHeap();
  private readonly scratch = new SymbolScratch();
  private readonly popped = new Int32Array(3);

  constructor(
    private readonly tokenToId: ReadonlyMap<string, number>,
    merges: readonly string[],
    readonly pre: PreTokenizer,
  ) {
    for (let i = 0; i < merges.length; i++) {
      const m = merges[i];
      // llama.cpp splits at the first space after position 0 (a merge may start with a space).
      const pos = m.indexOf(' ', 1);
      if (pos < 0) continue;
      const key = m.slice(0, pos) + ' ' + m.slice(pos + 1);
      if (!this.ranks.has(key)) this.ranks.set(key, i);
    }
  }

  /** Tokenizes plain text (no special tokens) and appends the ids to `out`. */
  encode(text: string, out: number[]): void {
    for (const word of this.pre.split(text)) {
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    }
  }

  private rank(a: string, b: string): number {
    const r = this.ranks.get(a + ' ' + b);
    return r === undefined ? -1 : r;
  }

  private encodeWord(word: string): number[] {
    const s = byteLevelEncode(word);
    if (this.pre.ignoreMerges) {
      const id = this.tokenToId.get(s);
      if (id !== undefined) return [id];
    }
    // Byte-level strings are all BMP, so one UTF-16 unit = one symbol.
    const n = s.length;
    this.scratch.ensure(n);
    const { start, len, prev, next } = this.scratch;
    for (let i = 0; i < n; i++) {
      start[i] = i;
      len[i] = 1;
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = this.heap;
    heap.clear();
    const tryAdd = (l: number, r: number) => {
      if (l < 0 || r < 0) return;
      const rank = this.rank(s.substr(start[l], len[l]), s.substr(start[r], len[r]));
      if (rank >= 0) heap.push(rank, l, r, len[l] + len[r]);
    };
    for (let i = 1; i < n; i++) tryAdd(i - 1, i);
    const p = this.popped;
    while (heap.pop(p)) {
      const l = p[0];
      const r = p[1];
      // Stale entry: one side was merged away or grew since the pair was queued.
      if (len[l] === 0 || len[r] === 0 || len[l] + len[r] !== p[2]) continue;
      len[l] += len[r];
      len[r] = 0;
      next[l] = next[r];
      if (next[r] >= 0) prev[next[r]] = l;
      tryAdd(prev[l], l);
      tryAdd(l, next[l]);
    }
    const ids: number[] = [];
    for (let i = 0; i !== -1 && n > 0; i = next[i]) {
      const piece = s.substr(start[i], len[i]);
      const id = this.tokenToId.get(piece);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // llama.cpp falls back to single-byte tokens of the piece's UTF-8; only ASCII can match.
      for (let j = 0; j < piece.length; j++) {
        const c = piece.charCodeAt(j);
        if (c < 0x80) {
          const b = this.tokenToId.get(piece[j]);
          if (b !== undefined) ids.push(b);
        }
      }
    }
    return ids;
  }
}
