// Splitting text on special-token strings, as llama.cpp's tokenizer_st_partition: tokens are tried
// longest first; CONTROL and UNKNOWN tokens only when special parsing is on (template text),
// USER_DEFINED tokens always (llama.cpp and HF tokenizers both pre-split on added tokens).
import { TokenType } from './data';
import type { TextPart } from './types';
import { ATTR_LSTRIP, ATTR_RSTRIP, type Vocab } from './vocab';

export type Fragment = { text: string; id?: undefined } | { id: number; text?: undefined };

const PAIR_BITS = 20;
const pairHash = (a: number, b: number) => ((a * 0x9e37 + b) * 0x85eb) >>> (32 - PAIR_BITS);

/** A hash set of the adjacent code-unit pairs of a text: a special token with a pair the text lacks
 * cannot occur in it, which rules out most of them without searching a large text once per token. */
function pairsPresent(text: string): Uint8Array {
  const seen = new Uint8Array(1 << PAIR_BITS);
  for (let i = 1; i < text.length; i++) seen[pairHash(text.charCodeAt(i - 1), text.charCodeAt(i))] = 1;
  return seen;
}

function mayOccur(tok: string, seen: Uint8Array): boolean {
  for (let i = 1; i < tok.length; i++) if (seen[pairHash(tok.charCodeAt(i - 1), tok.charCodeAt(i))] === 0) return false;
  return true;
}

function partition(vocab: Vocab, text: string, parseSpecial: boolean, out: Fragment[]): void {
  let frags: Fragment[] = [{ text }];
  let seen: Uint8Array | null = null;
  for (const id of vocab.specialCache) {
    const ty = vocab.types[id];
    if (!parseSpecial && ty !== TokenType.USER_DEFINED) continue;
    const tok = vocab.tokens[id];
    if (tok.length === 0) continue;
    // Cheap rejects on the whole input: most special tokens never occur.
    if (text.length > 4096) {
      seen ??= pairsPresent(text);
      if (!mayOccur(tok, seen)) continue;
    }
    if (text.indexOf(tok) < 0) continue;
    const next: Fragment[] = [];
    for (const f of frags) {
      if (f.text === undefined) {
        next.push(f);
        continue;
      }
      let from = 0;
      for (;;) {
        const at = f.text.indexOf(tok, from);
        if (at < 0) break;
        if (at > from) next.push({ text: f.text.slice(from, at) });
        next.push({ id });
        from = at + tok.length;
      }
      if (from < f.text.length) next.push({ text: f.text.slice(from) });
    }
    frags = next;
  }
  for (const f of frags) out.push(f);
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
  for (const p of parts) if (p.text.length > 0) partition(vocab, p.text, p.parseSpecial, raw);
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
