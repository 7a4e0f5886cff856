// BM25 scored only for the question's terms. Indexing is question-specific on purpose: per chunk we
// keep a length and one count per query term, so memory is O(chunks × query terms) instead of a full
// inverted index, which is what keeps a 100,000-file workspace within a bounded footprint.
import { termsOf } from './terms';

const K1 = 1.2;
const B = 0.75;

export class QueryBm25 {
  private readonly index = new Map<string, number>();
  private readonly lengths: number[] = [];
  /** counts[doc * nTerms + t] */
  private readonly counts: number[] = [];
  private readonly df: number[];

  constructor(readonly terms: readonly string[]) {
    terms.forEach((t, i) => this.index.set(t, i));
    this.df = terms.map(() => 0);
  }

  get docCount(): number {
    return this.lengths.length;
  }

  /** Adds a document (chunk); returns its id. */
  add(text: string): number {
    const n = this.terms.length;
    const row = new Array<number>(n).fill(0);
    let len = 0;
    for (const term of termsOf(text)) {
      len++;
      const i = this.index.get(term);
      if (i !== undefined) row[i]!++;
    }
    for (let i = 0; i < n; i++) if (row[i]! > 0) this.df[i]!++;
    this.lengths.push(len);
    for (const c of row) this.counts.push(c);
    return this.lengths.length - 1;
  }

  score(doc: number): number {
    const n = this.terms.length;
    const N = this.lengths.length;
    if (n === 0 || N === 0) return 0;
    let avg = 0;
    for (const l of this.lengths) avg += l;
    avg /= N;
    return this.scoreWithAvg(doc, avg);
  }

  /** Scores every document (computes the average length once). */
  scoreAll(): Float64Array {
    const N = this.lengths.length;
    const out = new Float64Array(N);
    if (N === 0 || this.terms.length === 0) return out;
    let avg = 0;
    for (const l of this.lengths) avg += l;
    avg /= N;
    for (let d = 0; d < N; d++) out[d] = this.scoreWithAvg(d, avg);
    return out;
  }

  private scoreWithAvg(doc: number, avg: number): number {
    const n = this.terms.length;
    const N = this.lengths.length;
    const len = this.lengths[doc]!;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const tf = this.counts[doc * n + i]!;
      if (tf === 0) continue;
      const df = this.df[i]!;
      const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      s += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * len) / Math.max(1, avg)));
    }
    return s;
  }
}
