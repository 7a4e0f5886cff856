// Incremental rendering of a streaming answer (issue 13 finding 9). Re-rendering the whole answer on
// every frame made streaming O(n²): a 200 KB code block in 2,000 pieces took 39 s. Here blocks that
// can no longer change are rendered once and kept; only the last block is rendered again per frame,
// and an open ``` fence at the end (the long case) only has its new text appended as a text node.
//
// Every piece of model output still goes through the same pipeline as a full render (marked with the
// escaping renderer → DOMPurify with the strict policy → code-block toolbars), or into a Text node:
// nothing reaches the DOM as markup any other way, so the inert-output guarantees hold.
import { Marked, type Token } from 'marked';
import { resolveLanguage } from './highlight';
import { decorateCodeBlock, renderMarkdownFragment, type CodeBlockActions } from './markdown-dom';

// Only the lexer is used here (block boundaries); rendering goes through markdown.ts.
const lexer = new Marked({ gfm: true, breaks: false, async: false });

/** The same line-ending normalisation marked's lexer applies, so token `raw` lengths index our text. */
function normalise(s: string): string {
  return s.replace(/\r\n|\r/g, '\n');
}

const OPEN_FENCE = /^(`{3,}|~{3,})([^\n]*)\n/;

interface OpenFence {
  /** Marker (``` or ~~~, possibly longer) that closes it. */
  marker: string;
  /** Offset in `text` where the fence's first line starts. */
  start: number;
  /** Offset where the code starts (after the info line). */
  contentStart: number;
  /** Offset up to which code is in `code`. */
  renderedEnd: number;
  /** Offset of the first line not yet checked for a closing fence. */
  scanFrom: number;
  code: Text;
  nodes: Node[];
}

export class StreamingMarkdown {
  /** Normalised text received so far. */
  private text = '';
  /** Raw characters consumed (before normalisation), to find the new part of the next update. */
  private rawLength = 0;
  /** A trailing '\r' held back until we know whether '\n' follows. */
  private heldCr = false;
  /** text[0, frozenEnd) is rendered into nodes that are never touched again. */
  private frozenEnd = 0;
  /** Nodes rendered from text[frozenEnd, …) that the next frame replaces. */
  private tailNodes: Node[] = [];
  /** End of the text the tail nodes were rendered from through the full pipeline (-1: not so). */
  private tailRenderedTo = -1;
  private fence: OpenFence | undefined;
  /** Counters for tests and the benchmark: characters put through the markdown pipeline. */
  readonly stats = { renderedChars: 0, appendedChars: 0, frames: 0 };

  constructor(private readonly target: HTMLElement, private readonly actions: CodeBlockActions) {
    target.replaceChildren();
  }

  /** The whole answer so far (it only ever grows while streaming). */
  get source(): string {
    return this.text;
  }

  /** Shows `full` (the answer text so far). Text that does not extend the previous one starts over. */
  update(full: string): void {
    this.stats.frames++;
    if (full.length < this.rawLength) {
      this.reset();
    }
    let delta = full.slice(this.rawLength);
    this.rawLength = full.length;
    if (this.heldCr) delta = '\r' + delta;
    this.heldCr = delta.endsWith('\r');
    if (this.heldCr) delta = delta.slice(0, -1);
    this.text += normalise(delta);
    this.renderTail(false);
  }

  /** The answer is complete: render the last block as final (a trailing fence is closed by the end). */
  finish(): void {
    if (this.heldCr) {
      this.text += '\n';
      this.heldCr = false;
    }
    // The last frame already rendered all of it the final way: keep it instead of rendering it twice.
    if (!this.fence && this.tailRenderedTo === this.text.length) {
      this.tailNodes = [];
      this.frozenEnd = this.text.length;
      return;
    }
    this.renderTail(true);
  }

  private reset(): void {
    this.text = '';
    this.rawLength = 0;
    this.heldCr = false;
    this.frozenEnd = 0;
    this.tailNodes = [];
    this.fence = undefined;
    this.target.replaceChildren();
  }

  private renderTail(final: boolean): void {
    if (this.fence && !final && this.extendFence()) return;
    this.fence = undefined;
    // Lex only the part after the frozen blocks: it starts at a block boundary.
    const tokens: Token[] = lexer.lexer(this.text.slice(this.frozenEnd));
    let last = tokens.length - 1;
    while (last >= 0 && tokens[last]!.type === 'space') last--;
    // Everything before the last block is finished: text appended later cannot change it (a setext
    // underline or lazy continuation only joins the last block; a new list item after a blank line only
    // joins a list that is itself the last block).
    if (!final && last > 0) {
      let len = 0;
      for (let i = 0; i < last; i++) len += tokens[i]!.raw.length;
      this.freeze(this.frozenEnd + len);
    }
    const tailStart = this.frozenEnd;
    const tail = this.text.slice(tailStart);
    this.removeTail();
    if (tail.length === 0) return;
    const open = !final ? OPEN_FENCE.exec(tail) : null;
    if (open && !this.closingLineIn(tail, open[1]!, open[0].length)) {
      this.startFence(tailStart, open[1]!, open[2]!, open[0].length);
      return;
    }
    if (final) {
      // The answer is done: its last block is as finished as the others.
      this.freeze(this.text.length);
      return;
    }
    this.tailNodes = this.appendRendered(tail);
    this.tailRenderedTo = this.text.length;
  }

  /** Renders text[frozenEnd, end) once and keeps it. */
  private freeze(end: number): void {
    if (end <= this.frozenEnd) return;
    this.removeTail();
    this.appendRendered(this.text.slice(this.frozenEnd, end));
    this.frozenEnd = end;
  }

  private appendRendered(markdown: string): Node[] {
    this.stats.renderedChars += markdown.length;
    const fragment = renderMarkdownFragment(markdown, this.actions);
    const nodes = Array.from(fragment.childNodes);
    this.target.append(fragment);
    return nodes;
  }

  private removeTail(): void {
    for (const n of this.tailNodes) n.parentNode?.removeChild(n);
    this.tailNodes = [];
    this.tailRenderedTo = -1;
  }

  /** Whether `text` (a fence starting at 0) has a closing line for `marker` after `from`. */
  private closingLineIn(text: string, marker: string, from: number): boolean {
    return this.findClosing(text, marker, from) >= 0;
  }

  /** End offset (after the newline, or the text's end) of the first closing fence line at/after `from`, or -1. */
  private findClosing(text: string, marker: string, from: number): number {
    const close = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
    let lineStart = from;
    while (lineStart < text.length) {
      const nl = text.indexOf('\n', lineStart);
      const lineEnd = nl < 0 ? text.length : nl;
      // The last line may still grow ("``" → "```x" is not a fence); only a complete line counts.
      if (nl < 0) return -1;
      if (close.test(text.slice(lineStart, lineEnd))) return nl + 1;
      lineStart = nl + 1;
    }
    return -1;
  }

  private startFence(start: number, marker: string, info: string, headerLength: number): void {
    const language = resolveLanguage(info);
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.className = language ? `hljs language-${language}` : 'hljs';
    const text = document.createTextNode('');
    code.append(text);
    pre.append(code);
    const holder = document.createElement('div');
    holder.append(pre);
    decorateCodeBlock(pre, this.actions);
    const nodes = Array.from(holder.childNodes);
    this.target.append(...nodes);
    this.tailNodes = nodes;
    const contentStart = start + headerLength;
    this.fence = { marker, start, contentStart, renderedEnd: contentStart, scanFrom: contentStart, code: text, nodes };
    this.extendFence();
  }

  /** Appends new code to the open fence; false when the fence has closed (the caller re-lexes). */
  private extendFence(): boolean {
    const f = this.fence!;
    const closedAt = this.findClosing(this.text, f.marker, f.scanFrom);
    if (closedAt >= 0) {
      // Closed: render the whole block once (highlighted) and keep it.
      this.removeTail();
      this.fence = undefined;
      this.frozenEnd = f.start;
      this.freeze(closedAt);
      this.renderTail(false);
      return true;
    }
    // Lines before the last (incomplete) one can no longer close the fence.
    const lastNl = this.text.lastIndexOf('\n');
    if (lastNl + 1 > f.scanFrom) f.scanFrom = lastNl + 1;
    const add = this.text.slice(f.renderedEnd);
    if (add) {
      f.code.appendData(add);
      f.renderedEnd = this.text.length;
      this.stats.appendedChars += add.length;
    }
    return true;
  }
}
