// llama.cpp (node-llama-cpp, CPU) as the correctness oracle: per-position log-probabilities under
// teacher forcing and greedy continuations. Loads are cached per file for the whole test run.
import type * as NLC from 'node-llama-cpp';

type Llama = NLC.Llama;
type LlamaContext = NLC.LlamaContext;

let llamaP: Promise<{ nlc: typeof NLC; llama: Llama }> | undefined;
async function getLlamaOnce(): Promise<{ nlc: typeof NLC; llama: Llama }> {
  llamaP ??= (async () => {
    const nlc = (await import('node-llama-cpp')) as typeof NLC;
    const llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error });
    return { nlc, llama };
  })();
  return llamaP;
}

/** Sampling options that leave llama.cpp's distribution untouched: probabilities = softmax(logits). */
const RAW = { temperature: 1, topK: 0, topP: 1, minP: 0 } as const;

export class OracleModel {
  private constructor(private readonly ctx: LlamaContext) {}

  private static cache = new Map<string, Promise<OracleModel>>();
  static load(path: string, contextSize = 256): Promise<OracleModel> {
    const key = `${path}#${contextSize}`;
    let p = OracleModel.cache.get(key);
    if (!p) {
      p = (async () => {
        const { llama } = await getLlamaOnce();
        const model = await llama.loadModel({ modelPath: path });
        const ctx = await model.createContext({ contextSize, batchSize: contextSize, threads: 2 });
        return new OracleModel(ctx);
      })();
      OracleModel.cache.set(key, p);
    }
    return p;
  }

  private async evaluate(seq: NLC.LlamaContextSequence, ids: readonly number[]): Promise<Float64Array[]> {
    type Item = NLC.ControlledEvaluateInputItem;
    const items: Item[] = ids.map((t) => [t, { generateNext: { probabilities: true, options: { ...RAW } } }] as Item);
    const res = await seq.controlledEvaluate(items);
    return ids.map((_, i) => {
      const probs = res[i]?.next.probabilities;
      if (!probs) throw new Error(`oracle: no probabilities at position ${i}`);
      const out = new Float64Array(probs.size).fill(-Infinity);
      for (const [id, p] of probs) out[id] = Math.log(p);
      return out;
    });
  }

  /** log p(next | ids[0..i]) for every position i (= logits up to a per-position constant). */
  async teacherForced(ids: readonly number[], vocab: number): Promise<Float64Array[]> {
    const seq = this.ctx.getSequence();
    try {
      const rows = await this.evaluate(seq, ids);
      return rows.map((r) => (r.length === vocab ? r : padTo(r, vocab)));
    } finally {
      seq.dispose();
    }
  }

  /** Greedy continuation of n tokens, with llama.cpp's top-2 log-prob margin at each step. */
  async greedy(ids: readonly number[], n: number, vocab: number): Promise<{ ids: number[]; margins: number[]; ranges: number[] }> {
    const seq = this.ctx.getSequence();
    try {
      let rows = await this.evaluate(seq, ids);
      const out: number[] = [];
      const margins: number[] = [];
      const ranges: number[] = [];
      for (let step = 0; step < n; step++) {
        const r = padTo(rows[rows.length - 1], vocab);
        const s = stats(r);
        out.push(s.argmax);
        margins.push(s.margin);
        ranges.push(s.range);
        if (step + 1 < n) rows = await this.evaluate(seq, [s.argmax]);
      }
      return { ids: out, margins, ranges };
    } finally {
      seq.dispose();
    }
  }
}

function padTo(r: Float64Array, vocab: number): Float64Array {
  if (r.length >= vocab) return r;
  const o = new Float64Array(vocab).fill(-Infinity);
  o.set(r);
  return o;
}

export function stats(r: ArrayLike<number>): { argmax: number; margin: number; range: number } {
  let a = 0;
  let b = -1;
  let mn = Infinity;
  for (let i = 0; i < r.length; i++) {
    if (Number.isFinite(r[i]) && r[i] < mn) mn = r[i];
    if (r[i] > r[a]) {
      b = a;
      a = i;
    } else if (i !== a && (b < 0 || r[i] > r[b])) b = i;
  }
  return { argmax: a, margin: b < 0 ? Infinity : r[a] - r[b], range: r[a] - mn };
}

export function logSoftmax(x: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of x) m = Math.max(m, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(x, (v) => v - lse);
}

export interface LogitComparison {
  /** Worst |ours - llama.cpp| over all positions, in logit units (after aligning the per-row constant). */
  maxAbsDiff: number;
  /** The worst ratio of that difference to the row's logit range. */
  worstFraction: number;
  /** Positions where llama.cpp's top-2 margin exceeds the tolerance but the argmax differs. */
  argmaxMismatches: number[];
  /** Positions where the argmax was compared (margin above tolerance). */
  argmaxCompared: number;
}

/** Criterion 9: max abs diff <= 2% of the logit range; argmax equal wherever the margin exceeds it. */
export function compareLogits(ours: Float32Array[], ref: Float64Array[], fraction = 0.02): LogitComparison {
  let maxAbsDiff = 0;
  let worstFraction = 0;
  const argmaxMismatches: number[] = [];
  let argmaxCompared = 0;
  for (let p = 0; p < ref.length; p++) {
    const a = logSoftmax(ours[p]);
    const r = ref[p];
    const s = stats(r);
    const tol = fraction * s.range;
    let d = 0;
    for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i])) d = Math.max(d, Math.abs(a[i] - r[i]));
    maxAbsDiff = Math.max(maxAbsDiff, d);
    worstFraction = Math.max(worstFraction, d / s.range);
    if (s.margin > tol) {
      argmaxCompared++;
      if (stats(a).argmax !== s.argmax) argmaxMismatches.push(p);
    }
  }
  return { maxAbsDiff, worstFraction, argmaxMismatches, argmaxCompared };
}
