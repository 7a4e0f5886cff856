// Human-readable labels for the chat UI. Pure so node tests can check them.
import type { Attachment, AnswerTimings, ContextMeter, DownloadStatus, FinishKind, ProgressPhase } from '../extension/protocol';

const nf = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return nf.format(Math.round(n));
}

/**
 * Binary units, as the model catalog writes them: from half a GiB up in GiB with two decimals (so a
 * 1,007 MiB file reads "0.98 GiB" everywhere, never once in MiB and once in GiB).
 */
export function formatBytes(n: number): string {
  if (n >= 2 ** 29) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return `${n} B`;
}

export function meterLabel(m: ContextMeter): string {
  return `${formatCount(m.usedTokens)} of ${formatCount(m.windowTokens)} tokens used`;
}

/** The meter's second half, in words: how far SelfExtend stretched the trained window, and with what. */
export function meterWords(m: ContextMeter): string {
  if (!m.selfExtendEnabled || m.group <= 1) return `trained window L=${formatCount(m.trained)} (SelfExtend off)`;
  const stretch = m.trained > 0 ? m.windowTokens / m.trained : 0;
  return `window stretched ×${stretch.toFixed(1)} from L=${formatCount(m.trained)} (group size G=${m.group}, neighbour window W=${formatCount(m.neighbor)})`;
}

/** Hover text: the SelfExtend parameters that produced the window, so users can relate it to their settings. */
export function meterTitle(m: ContextMeter): string {
  if (!m.selfExtendEnabled || m.group <= 1) {
    return `Context: ${formatCount(m.usedTokens)} of ${formatCount(m.windowTokens)} tokens (SelfExtend off: the model's trained window L=${formatCount(m.trained)} tokens)`;
  }
  return (
    `Context: ${formatCount(m.usedTokens)} of ${formatCount(m.windowTokens)} tokens\n` +
    `L=${formatCount(m.trained)}: the window the model was trained on\n` +
    `W=${formatCount(m.neighbor)}: nearby tokens keep their exact positions (neighbour window)\n` +
    `G=${m.group}: farther tokens share positions in groups of G (group size); a larger G reaches further but blurs distant positions more\n` +
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
  // "0%" next to a detail that says what is happening reads as stuck: the detail carries the progress.
  const pct = fraction === undefined || (fraction === 0 && detail) ? '' : ` ${Math.round(fraction * 100)}%`;
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

/** Chip text of an attachment: the file name, with the lines for a selection. */
export function attachmentLabel(a: Attachment): string {
  const { name } = chipParts(a.path);
  return a.kind === 'selection' ? `${name}:${a.startLine}${a.endLine !== a.startLine ? `–${a.endLine}` : ''}` : name;
}

export function sameAttachment(a: Attachment, b: Attachment): boolean {
  return a.kind === b.kind && a.path === b.path && (a.kind === 'file' || (b.kind === 'selection' && a.startLine === b.startLine && a.endLine === b.endLine));
}

/** One line about a download, for the view's download box. */
export function downloadLabel(d: DownloadStatus): string {
  const total = d.totalBytes > 0 ? d.totalBytes : 0;
  const amount = total ? `${formatBytes(d.receivedBytes)} of ${formatBytes(total)} (${Math.floor((d.receivedBytes / total) * 100)}%)` : formatBytes(d.receivedBytes);
  switch (d.state) {
    case 'running':
      return `Downloading ${d.label}: ${amount}`;
    case 'done':
      return `Downloaded ${d.label}; it is now the selected model.`;
    case 'cancelled':
      return `Download of ${d.label} cancelled${d.receivedBytes ? ` after ${formatBytes(d.receivedBytes)}; Retry resumes it` : ''}.`;
    case 'failed':
      return `Download of ${d.label} failed: ${d.message ?? 'unknown error'}`;
  }
}
