// Counts and a few examples per skip reason, so users can see why a file is not in the context.
import { displayName } from './names';

export type SkipReason =
  | 'gitignore'
  | 'excluded'
  | 'not-included'
  | 'generated-folder'
  | 'lock-file'
  | 'too-large'
  | 'binary'
  | 'symlink-outside'
  | 'symlink-loop'
  | 'broken-link'
  | 'not-regular'
  | 'unreadable'
  | 'max-depth'
  | 'max-files'
  /** An ignore file (the example) had rules past the bounds of ignore-rules.ts; those rules were not applied. */
  | 'ignore-rules-capped';

export interface SkipSummary {
  total: number;
  byReason: Partial<Record<SkipReason, { count: number; examples: string[] }>>;
  /** Text files decoded with replacement characters (not skipped, but reported). */
  lossyDecoded: { count: number; examples: string[] };
}

const MAX_EXAMPLES = 5;

export class SkipReport {
  private readonly reasons = new Map<SkipReason, { count: number; examples: string[] }>();
  private lossy = { count: 0, examples: [] as string[] };
  private count = 0;

  add(reason: SkipReason, relPath: string): void {
    this.count++;
    let r = this.reasons.get(reason);
    if (!r) this.reasons.set(reason, (r = { count: 0, examples: [] }));
    r.count++;
    if (r.examples.length < MAX_EXAMPLES) r.examples.push(relPath);
  }

  addLossy(relPath: string): void {
    this.lossy.count++;
    if (this.lossy.examples.length < MAX_EXAMPLES) this.lossy.examples.push(relPath);
  }

  get total(): number {
    return this.count;
  }

  countOf(reason: SkipReason): number {
    return this.reasons.get(reason)?.count ?? 0;
  }

  /** Reset before a fresh listing so repeated gathers do not double count. */
  clear(): void {
    this.reasons.clear();
    this.lossy = { count: 0, examples: [] };
    this.count = 0;
  }

  summary(): SkipSummary {
    const byReason: SkipSummary['byReason'] = {};
    for (const [k, v] of [...this.reasons.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      byReason[k] = { count: v.count, examples: [...v.examples] };
    }
    return { total: this.count, byReason, lossyDecoded: { count: this.lossy.count, examples: [...this.lossy.examples] } };
  }

  /** One line per reason, e.g. "binary: 3 (img.ts, a.bin)". */
  format(): string {
    const s = this.summary();
    const lines = Object.entries(s.byReason).map(([k, v]) => `${k}: ${v.count} (${v.examples.map(displayName).join(', ')}${v.count > v.examples.length ? ', …' : ''})`);
    if (s.lossyDecoded.count > 0) lines.push(`non-UTF-8 decoded lossily: ${s.lossyDecoded.count} (${s.lossyDecoded.examples.map(displayName).join(', ')})`);
    return lines.join('\n');
  }
}
