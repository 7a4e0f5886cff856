// Human-readable labels for the chat UI. Pure so node tests can check them.
import type { AnswerTimings, ContextMeter, FinishKind, ProgressPhase } from '../extension/protocol';

const nf = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return nf.format(Math.round(n));
}

/** Binary units, as the model catalog and file managers on most systems show sizes of large files. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return `${n} B`;
}

export function meterLabel(m: ContextMeter): string {
  return `${formatCount(m.usedTokens)} / ${formatCount(m.windowTokens)} tokens`;
}

/** Hover text: the SelfExtend parameters that produced the window, so users can relate it to their settings. */
export function meterTitle(m: ContextMeter): string {
  if (!m.selfExtendEnabled || m.group <= 1) {
    return `Context: ${formatCount(m.usedTokens)} of ${formatCount(m.windowTokens)} tokens (SelfExtend off: G=1, trained window L=${formatCount(m.trained)})`;
  }
  return (
    `Context: ${formatCount(m.usedTokens)} of ${formatCount(m.windowTokens)} tokens\n` +
    `SelfExtend group size G=${m.group}, neighbor window W=${formatCount(m.neighbor)}, trained window L=${formatCount(m.trained)}\n` +
    `Extended window = (L − W) × G + W = ${formatCount(m.windowTokens)}`
  );
}

export function meterFraction(m: ContextMeter): number {
  return m.windowTokens > 0 ? Math.min(1, Math.max(0, m.usedTokens / m.windowTokens)) : 0;
}

export function timingsLabel(t: AnswerTimings, finish: FinishKind | undefined): string {
  const parts = [
    ...(t.summaryParts ? [`${formatCount(t.summaryParts.done)} of ${formatCount(t.summaryParts.total)} parts`] : []),
    `${formatCount(t.promptTokens)} prompt tokens` + (t.cachedTokens > 0 ? ` (${formatCount(t.cachedTokens)} cached)` : ''),
    t.summaryParts ? `first part ${(t.ttftMs / 1000).toFixed(2)} s` : `first token ${(t.ttftMs / 1000).toFixed(2)} s`,
    `${t.decodeTps.toFixed(1)} tok/s`,
  ];
  const end = finishLabel(finish);
  if (end) parts.push(end);
  return parts.join(' · ');
}

export function finishLabel(finish: FinishKind | undefined): string | undefined {
  switch (finish) {
    case 'stopped':
      return 'stopped';
    case 'length':
      return 'reached max new tokens';
    case 'context-full':
      return 'context window full';
    case 'error':
      return 'failed';
    default:
      return undefined;
  }
}

export function progressLabel(phase: ProgressPhase, fraction: number | undefined, detail: string | undefined): string {
  const pct = fraction === undefined ? '' : ` ${Math.round(fraction * 100)}%`;
  const base: Record<ProgressPhase, string> = {
    idle: '',
    'loading-model': 'Loading model',
    'reading-repository': 'Reading repository',
    prefill: 'Reading prompt',
    generating: 'Generating',
    summarizing: 'Summarizing',
  };
  const text = base[phase] + pct;
  return detail ? (text ? `${text} — ${detail}` : detail) : text;
}

/** File name for a chip, with the folder as secondary text (long paths stay readable). */
export function chipParts(path: string): { name: string; dir: string } {
  const i = path.lastIndexOf('/');
  return i < 0 ? { name: path, dir: '' } : { name: path.slice(i + 1), dir: path.slice(0, i) };
}
