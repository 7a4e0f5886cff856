// Stop-string detection over streamed text. Text that could still become the start of a stop string
// is held back, so the caller never shows "Us" of a stop string "User:" and then has to retract it.

export interface StopResult {
  /** Text that is safe to emit now. */
  emit: string;
  /** True when a stop string was found (emit holds the text before it; the rest is dropped). */
  stopped: boolean;
}

export class StopStringMatcher {
  private held = '';
  private readonly stops: string[];

  constructor(stops: readonly string[] | undefined) {
    this.stops = (stops ?? []).filter((s) => s.length > 0);
  }

  push(text: string): StopResult {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const buf = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.held = '';
      return { emit: buf.slice(0, cut), stopped: true };
    }
    const keep = this.partialSuffix(buf);
    this.held = buf.slice(buf.length - keep);
    return { emit: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** Releases the held text at the end of generation (it never completed a stop string). */
  flush(): string {
    const h = this.held;
    this.held = '';
    return h;
  }

  /** Length of the longest suffix of buf that is a proper prefix of some stop string. */
  private partialSuffix(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buf.length); n > best; n--) {
        if (buf.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
