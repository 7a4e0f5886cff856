// Splitting text on special-token strings, as llama.cpp's tokenizer_st_partition: tokens are tried
// longest first; CONTROL and UNKNOWN tokens only when special parsing is on (template text),
// USER_DEFINED tokens always (llama.cpp and HF tokenizers both pre-split on added tokens) — except
// in untrusted parts (file contents, selections, questions), which never produce a special token.
import { TokenType } from './data';
import type { TextPart } from './types';
import { ATTR_LSTRIP, ATTR_RSTRIP, type Vocab } from './vocab';

export type Fragment = { text: string; id?: undefined } | { id: number; text?: undefined };

/**
 * All special-token texts of a vocabulary in one Aho-Corasick automaton over UTF-16 code units, so
 * one pass over a text finds every occurrence of every special token (linear in the text plus the
 * matches). Splitting once per token, as before, cost time quadratic in the number of tokens found:
 * 60k user-defined tokens and 280 KB of text took 47 s.
 */
class SpecialMatcher {
  /** (node * 65536 + code unit) → child node. */
  private readonly next = new Map<number, number>();
  private readonly fail: Int32Array;
  /** Nearest node on the failure chain (excluding itself) that ends a token, or -1. */
  private readonly outLink: Int32Array;
  /** For a node that ends a token: index into `ids` of its token ids in splitting order, else -1. */
  private readonly terminal: Int32Array;
  private readonly depth: Int32Array;
  /** Token ids per terminal, in splitting order (several only when two tokens share a text). */
  readonly ids: number[][] = [];
  /** Token id → its place in splitting order. */
  readonly rank = new Map<number, number>();

  constructor(tokens: readonly string[], order: readonly number[]) {
    const depth: number[] = [0];
    const terminal: number[] = [-1];
    const byText = new Map<string, number>();
    order.forEach((id, i) => this.rank.set(id, i));
    for (const id of order) {
      const t = tokens[id];
      if (t.length === 0) continue;
      const known = byText.get(t);
      if (known !== undefined) {
        this.ids[known].push(id);
        continue;
      }
      let node = 0;
      for (let i = 0; i < t.length; i++) {
        const key = node * 65536 + t.charCodeAt(i);
        let child = this.next.get(key);
        if (child === undefined) {
          child = depth.length;
          depth.push(i + 1);
          terminal.push(-1);
          this.next.set(key, child);
        }
        node = child;
      }
      terminal[node] = this.ids.length;
      byText.set(t, this.ids.length);
      this.ids.push([id]);
    }
    const n = depth.length;
    this.depth = Int32Array.from(depth);
    this.terminal = Int32Array.from(terminal);
    this.fail = new Int32Array(n);
    this.outLink = new Int32Array(n).fill(-1);
    // Children per node, for the breadth-first pass that sets failure links.
    const children: [number, number][][] = Array.from({ length: n }, () => []);
    for (const [key, child] of this.next) children[Math.floor(key / 65536)].push([key % 65536, child]);
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head];
      for (const [c, child] of children[node]) {
        if (node !== 0) {
          let f = this.fail[node];
          for (;;) {
            const g = this.next.get(f * 65536 + c);
            if (g !== undefined) {
              this.fail[child] = g;
              break;
            }
            if (f === 0) break; // fail[child] stays 0 (the root)
            f = this.fail[f];
          }
        }
        const f = this.fail[child];
        this.outLink[child] = this.terminal[f] >= 0 ? f : this.outLink[f];
        queue.push(child);
      }
    }
  }

  /**
   * Calls found(terminalIndex, start) for every occurrence of every token, in order of end
   * position (so the occurrences of one token come in increasing start order).
   */
  scan(text: string, found: (terminal: number, start: number) => void): void {
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      for (;;) {
        const g = this.next.get(node * 65536 + c);
        if (g !== undefined) {
          node = g;
          break;
        }
        if (node === 0) break;
        node = this.fail[node];
      }
      for (let m = this.terminal[node] >= 0 ? node : this.outLink[node]; m > 0; m = this.outLink[m]) found(this.terminal[m], i + 1 - this.depth[m]);
    }
  }
}

const matchers = new WeakMap<Vocab, SpecialMatcher>();
function matcherFor(vocab: Vocab): SpecialMatcher {
  let m = matchers.get(vocab);
  if (!m) {
    m = new SpecialMatcher(vocab.tokens, vocab.specialCache);
    matchers.set(vocab, m);
  }
  return m;
}

/** Fenwick tree over text positions: how many are already taken by a special token, in O(log n). */
class Taken {
  private readonly tree: Int32Array;
  constructor(private readonly n: number) {
    this.tree = new Int32Array(n + 1);
  }
  take(from: number, to: number): void {
    for (let p = from; p < to; p++) for (let i = p + 1; i <= this.n; i += i & -i) this.tree[i]++;
  }
  private prefix(p: number): number {
    let s = 0;
    for (let i = p; i > 0; i -= i & -i) s += this.tree[i];
    return s;
  }
  free(from: number, to: number): boolean {
    return this.prefix(to) - this.prefix(from) === 0;
  }
}

/**
 * llama.cpp's tokenizer_st_partition, in one scan: tokens take their occurrences in splitting order
 * (longest first); each token takes its occurrences left to right, skipping any that overlap text an
 * earlier token took or its own previous occurrence. Same fragments as splitting once per token.
 */
export function partition(vocab: Vocab, text: string, parseSpecial: boolean, out: Fragment[]): void {
  const matcher = matcherFor(vocab);
  // Occurrences per token, in increasing start order.
  const starts = new Map<number, number[]>();
  const ranks: number[] = [];
  matcher.scan(text, (terminal, start) => {
    for (const id of matcher.ids[terminal]) {
      if (!parseSpecial && vocab.types[id] !== TokenType.USER_DEFINED) continue;
      let list = starts.get(id);
      if (!list) {
        list = [];
        starts.set(id, list);
        ranks.push(id);
      }
      list.push(start);
    }
  });
  if (ranks.length === 0) {
    out.push({ text });
    return;
  }
  ranks.sort((a, b) => matcher.rank.get(a)! - matcher.rank.get(b)!);
  const taken = new Taken(text.length);
  const at = new Map<number, number>(); // start → token id, for the taken occurrences
  for (const id of ranks) {
    const len = vocab.tokens[id].length;
    let end = 0;
    for (const s of starts.get(id)!) {
      if (s < end || !taken.free(s, s + len)) continue;
      taken.take(s, s + len);
      at.set(s, id);
      end = s + len;
    }
  }
  const positions = [...at.keys()].sort((a, b) => a - b);
  let from = 0;
  for (const s of positions) {
    const id = at.get(s)!;
    if (s > from) out.push({ text: text.slice(from, s) });
    out.push({ id });
    from = s + vocab.tokens[id].length;
  }
  if (from < text.length) out.push({ text: from === 0 ? text : text.slice(from) });
}

const isCSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Splits parts into text runs and special tokens. Adjacent text from different parts joins into one
 * run, so template text around a message tokenizes exactly as if it had been one string (what
 * llama.cpp does with the whole prompt), while control tokens are only recognised in parts that
 * allow them. Then llama.cpp's lstrip/rstrip attributes trim whitespace next to the tokens that have them.
 */
export function fragmentsOf(vocab: Vocab, parts: readonly TextPart[]): Fragment[] {
  const raw: Fragment[] = [];
  for (const p of parts) {
    if (p.text.length === 0) continue;
    if (p.untrusted) raw.push({ text: p.text }); // text from outside: never a special token
    else partition(vocab, p.text, p.parseSpecial, raw);
  }
  const merged: Fragment[] = [];
  for (const f of raw) {
    const last = merged[merged.length - 1];
    if (f.text !== undefined && last !== undefined && last.text !== undefined) merged[merged.length - 1] = { text: last.text + f.text };
    else merged.push(f);
  }
  const out: Fragment[] = [];
  for (let i = 0; i < merged.length; i++) {
    const f = merged[i];
    if (f.text === undefined) {
      out.push(f);
      continue;
    }
    let s = 0;
    let e = f.text.length;
    const prev = merged[i - 1];
    const next = merged[i + 1];
    if (prev?.id !== undefined && vocab.strip[prev.id] & ATTR_RSTRIP) while (s < e && isCSpace(f.text.charCodeAt(s))) s++;
    if (next?.id !== undefined && vocab.strip[next.id] & ATTR_LSTRIP) while (e > s && isCSpace(f.text.charCodeAt(e - 1))) e--;
    if (e > s) out.push({ text: s === 0 && e === f.text.length ? f.text : f.text.slice(s, e) });
  }
  return out;
}
