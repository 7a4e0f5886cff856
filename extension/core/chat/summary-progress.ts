// One steady progress for a summary that takes many requests (parts, summaries of summaries, the
// final summary): the fraction is of the planned work measured in estimated seconds, so a part's
// prompt reading and its answer count by how long they take, not by which request is running.
// The fraction never decreases and the time left never increases, whatever the plan or the
// measured speeds do meanwhile (a plan that grows holds the bar; one that shrinks moves it on).
import type { GenerationStats } from './generation';

/** Tokens per second of prompt reading (prefill) and of answering (decode) on this model. */
export interface SpeedEstimate {
  prefillTps: number;
  decodeTps: number;
}

/** A request still to come: its prompt tokens and the answer tokens expected. */
export interface PlannedRequest {
  prompt: number;
  answer: number;
}

export interface SummaryOverall {
  /** 0..1 of the whole summary; never decreases; 1 only when it is done. */
  fraction: number;
  /** Estimated milliseconds left; never increases. Absent until a speed is known. */
  etaMs?: number;
  /** Part summaries finished and planned (level 1); both 0 when the text fits one request. */
  partsDone: number;
  partsTotal: number;
  /** What runs now: a part, a summary of part summaries, or the final summary. */
  stage: 'part' | 'condense' | 'final';
}

/** Weights prompt vs answer tokens before any speed is measured (a GPU reads prompts ~20× faster). */
const ASSUMED: SpeedEstimate = { prefillTps: 400, decodeTps: 20 };
/** Fewer progress reports than engine callbacks: the UI and the status bar redraw on each. */
const MIN_REPORT_MS = 200;

export function usableSpeed(s: SpeedEstimate | undefined): s is SpeedEstimate {
  return !!s && Number.isFinite(s.prefillTps) && Number.isFinite(s.decodeTps) && s.prefillTps > 0 && s.decodeTps > 0;
}

/** Milliseconds the requests take at the given speeds. */
export function estimateMs(requests: readonly PlannedRequest[], speed: SpeedEstimate): number {
  return requests.reduce((s, r) => s + (r.prompt / speed.prefillTps + r.answer / speed.decodeTps) * 1000, 0);
}

/** "about 40 s", "about 3 min", "about 1 h 10 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `about ${Math.max(1, s)} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} min`;
  return `about ${Math.floor(m / 60)} h ${m % 60} min`;
}

export class SummaryTracker {
  private pending: PlannedRequest[];
  private partsDone = 0;
  private partsTotal: number;
  private stage: SummaryOverall['stage'] = 'part';
  /** Measured totals (tokens, seconds) over finished requests. */
  private prefill = { tokens: 0, s: 0 };
  private decode = { tokens: 0, s: 0 };
  /** Finished requests, as [prompt tokens read, answer tokens]. */
  private readonly finished: PlannedRequest[] = [];
  private current: { prefillDone: number; prefillTotal: number; generated: number } | null = null;
  private shownFraction = 0;
  private shownEta: { ms: number; at: number } | undefined;
  private lastReportAt = -Infinity;

  constructor(
    plan: readonly PlannedRequest[],
    partsTotal: number,
    private readonly known: SpeedEstimate | undefined,
    private readonly emit: (o: SummaryOverall) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.pending = [...plan];
    this.partsTotal = partsTotal;
  }

  /** The measured speed, else the one known from earlier requests, else none. */
  speed(): SpeedEstimate | undefined {
    if (this.prefill.s > 0 && this.decode.s > 0) return { prefillTps: this.prefill.tokens / this.prefill.s, decodeTps: this.decode.tokens / this.decode.s };
    return usableSpeed(this.known) ? this.known : undefined;
  }

  /** The requests after the current one changed (e.g. part summaries came out shorter than planned). */
  replan(rest: readonly PlannedRequest[]): void {
    this.pending = [...rest];
  }

  start(stage: SummaryOverall['stage'], prompt: number): void {
    this.stage = stage;
    // The plan's head is this request; its prompt is now known exactly.
    const head = this.pending.shift();
    this.pending.unshift({ prompt, answer: head?.answer ?? 0 });
    this.current = { prefillDone: 0, prefillTotal: prompt, generated: 0 };
    this.report(true);
  }

  prefillProgress(done: number, total: number): void {
    if (!this.current) return;
    this.current.prefillDone = Math.min(done, total);
    this.current.prefillTotal = total;
    this.report(false);
  }

  token(): void {
    if (!this.current) return;
    this.current.generated++;
    this.report(false);
  }

  finish(stats: GenerationStats, isPart: boolean): void {
    const read = Math.max(0, stats.promptTokens - stats.cachedTokens);
    if (stats.prefillTps > 0 && Number.isFinite(stats.prefillTps) && read > 0) {
      this.prefill.tokens += read;
      this.prefill.s += read / stats.prefillTps;
    }
    if (stats.decodeTps > 0 && Number.isFinite(stats.decodeTps) && stats.generatedTokens > 1) {
      this.decode.tokens += stats.generatedTokens;
      this.decode.s += stats.generatedTokens / stats.decodeTps;
    }
    this.finished.push({ prompt: read, answer: stats.generatedTokens });
    this.pending.shift();
    this.current = null;
    if (isPart) this.partsDone++;
    this.report(true);
  }

  /** The last report: everything is done. */
  done(): void {
    this.shownFraction = 1;
    this.shownEta = { ms: 0, at: this.now() };
    this.emit({ fraction: 1, etaMs: 0, partsDone: this.partsDone, partsTotal: this.partsTotal, stage: this.stage });
  }

  private report(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastReportAt < MIN_REPORT_MS) return;
    this.lastReportAt = t;
    const measured = this.speed();
    const speed = measured ?? ASSUMED;
    const sec = (r: PlannedRequest): number => r.prompt / speed.prefillTps + r.answer / speed.decodeTps;
    let done = this.finished.reduce((s, r) => s + sec(r), 0);
    let left = this.pending.reduce((s, r) => s + sec(r), 0);
    if (this.current) {
      // The running request is the plan's head: move what it has done from "left" to "done".
      const c = this.current;
      const head = this.pending[0];
      const did = c.prefillDone / speed.prefillTps + c.generated / speed.decodeTps;
      const whole = head ? sec(head) : did;
      done += Math.min(did, whole);
      left -= Math.min(did, whole);
    }
    const total = done + left;
    const fresh = total > 0 ? done / total : 0;
    // Never backwards, and never "100%" before the last request has finished.
    this.shownFraction = Math.max(this.shownFraction, Math.min(0.99, fresh));
    let etaMs: number | undefined;
    if (measured) {
      const freshEta = Math.max(0, left * 1000);
      const decayed = this.shownEta ? Math.max(0, this.shownEta.ms - (t - this.shownEta.at)) : Infinity;
      etaMs = Math.min(freshEta, decayed);
      this.shownEta = { ms: etaMs, at: t };
    }
    this.emit({ fraction: this.shownFraction, ...(etaMs !== undefined ? { etaMs } : {}), partsDone: this.partsDone, partsTotal: this.partsTotal, stage: this.stage });
  }
}
