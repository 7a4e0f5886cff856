// The special-token splitting the tokenizer used before issue 13 finding 6 (one pass over all
// fragments per special token, quadratic in the number of tokens found), kept as the reference
// the linear scan in gpu/tokenizer/special.ts must equal, and as the "before" of its benchmark.
import { TokenType } from '../../gpu/tokenizer/data';
import type { Fragment } from '../../gpu/tokenizer/special';
import type { Vocab } from '../../gpu/tokenizer/vocab';

const PAIR_BITS = 20;
const pairHash = (a: number, b: number) => ((a * 0x9e37 + b) * 0x85eb) >>> (32 - PAIR_BITS);

function pairsPresent(text: string): Uint8Array {
  const seen = new Uint8Array(1 << PAIR_BITS);
  for (let i = 1; i < text.length; i++) seen[pairHash(text.charCodeAt(i - 1), text.charCodeAt(i))] = 1;
  return seen;
}

function mayOccur(tok: string, seen: Uint8Array): boolean {
  for (let i = 1; i < tok.length; i++) if (seen[pairHash(tok.charCodeAt(i - 1), tok.charCodeAt(i))] === 0) return false;
  return true;
}

export function referencePartition(vocab: Vocab, text: string, parseSpecial: boolean, out: Fragment[]): void {
  let frags: Fragment[] = [{ text }];
  let seen: Uint8Array | null = null;
  for (const id of vocab.specialCache) {
    const ty = vocab.types[id];
    if (!parseSpecial && ty !== TokenType.USER_DEFINED) continue;
    const tok = vocab.tokens[id];
    if (tok.length === 0) continue;
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
