// Browser side of scripts/bench-stream-render.ts and test/browser/streaming-markdown.test.ts.
// __bench renders one answer streamed in pieces, once the old way (the whole answer through the markdown
// pipeline on every frame) and once with StreamingMarkdown, forcing layout after each frame as the
// browser would before painting. __stream streams with StreamingMarkdown and counts, per frame, what was
// re-parsed and which DOM nodes were touched; __oneShot renders the same text in one go for comparison.
import { renderMarkdownInto } from '../../webview/markdown-dom';
import { CHUNK_CHARS, StreamingMarkdown, type StreamingStats } from '../../webview/streaming-markdown';

const actions = { copy: () => undefined, insert: () => undefined };

function freshTarget(): HTMLElement {
  const target = document.createElement('div');
  target.className = 'markdown';
  document.body.replaceChildren(target);
  return target;
}

function bench(pieces: string[], incremental: boolean): { ms: number; frames: number; chars: number } {
  const target = freshTarget();
  const t0 = performance.now();
  const md = incremental ? new StreamingMarkdown(target, actions) : undefined;
  let text = '';
  for (const p of pieces) {
    text += p;
    if (md) md.update(text);
    else renderMarkdownInto(target, text, actions);
    void target.offsetHeight; // layout, as before each paint
  }
  md?.finish();
  void target.offsetHeight;
  return { ms: performance.now() - t0, frames: pieces.length, chars: target.textContent?.length ?? 0 };
}

/** What one frame (one update) did. */
export interface FrameCounts {
  /** Characters lexed, put through the markdown pipeline or scanned for a closing fence in this frame. */
  parsed: number;
  /** Nodes removed from the answer (re-rendered rather than kept). */
  removedNodes: number;
  /** The longest text node whose text changed (what the browser lays out again). */
  longestChangedText: number;
  /** Elements that could run or fetch, present after the frame. */
  live: number;
}

function stream(pieces: string[]): { html: string; stats: StreamingStats; frames: FrameCounts[]; chunkChars: number } {
  const target = freshTarget();
  const md = new StreamingMarkdown(target, actions);
  const frames: FrameCounts[] = [];
  const observer = new MutationObserver(() => undefined);
  observer.observe(target, { childList: true, characterData: true, subtree: true });
  let text = '';
  const step = (f: () => void) => {
    const parsed = () => md.stats.lexedChars + md.stats.renderedChars + md.stats.scannedChars;
    const before = parsed();
    f();
    const counts: FrameCounts = { parsed: parsed() - before, removedNodes: 0, longestChangedText: 0, live: 0 };
    for (const r of observer.takeRecords()) {
      counts.removedNodes += r.removedNodes.length;
      if (r.type === 'characterData') counts.longestChangedText = Math.max(counts.longestChangedText, (r.target as Text).data.length);
    }
    counts.live = target.querySelectorAll('script, img, svg, iframe, object, embed, style, link, form, [onerror], [onload], [onclick], [style]').length;
    frames.push(counts);
  };
  for (const p of pieces) {
    text += p;
    step(() => md.update(text));
  }
  step(() => md.finish());
  observer.disconnect();
  return { html: target.innerHTML, stats: { ...md.stats }, frames, chunkChars: CHUNK_CHARS };
}

function oneShot(text: string): string {
  const target = freshTarget();
  renderMarkdownInto(target, text, actions);
  return target.innerHTML;
}

Object.assign(window as unknown as Record<string, unknown>, { __bench: bench, __stream: stream, __oneShot: oneShot });
(window as unknown as { acquireVsCodeApi: () => { postMessage(m: unknown): void } }).acquireVsCodeApi().postMessage({ type: 'ready' });
