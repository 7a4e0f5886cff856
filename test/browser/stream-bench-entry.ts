// Browser side of scripts/bench-stream-render.ts: renders one answer streamed in pieces, once the old
// way (the whole answer through the markdown pipeline on every frame) and once with StreamingMarkdown,
// forcing layout after each frame as the browser would before painting. Exposed on window for the runner.
import { renderMarkdownInto } from '../../webview/markdown-dom';
import { StreamingMarkdown } from '../../webview/streaming-markdown';

const actions = { copy: () => undefined, insert: () => undefined };

function run(pieces: string[], incremental: boolean): { ms: number; frames: number; chars: number } {
  const target = document.createElement('div');
  target.className = 'markdown';
  document.body.replaceChildren(target);
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

(window as unknown as { __bench: typeof run }).__bench = run;
(window as unknown as { acquireVsCodeApi: () => { postMessage(m: unknown): void } }).acquireVsCodeApi().postMessage({ type: 'ready' });
