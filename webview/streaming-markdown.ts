// Incremental rendering of a streaming answer (issue 13 finding 9). Re-rendering the whole answer on
// every frame made streaming O(n²): a 200 KB code block in 2,000 pieces took 39 s. Here blocks that
// can no longer change are rendered once and kept; only the last block is rendered again per frame.
// An open ``` fence at the end (the long case) is not rendered per frame at all: only the newly arrived
// text is looked at (for a closing line) and appended as text to the open <code>, in chunks of about
// CHUNK_CHARS so that each frame touches (and the browser lays out again) one small chunk rather than
// the whole block. Highlighting waits until the fence closes; then the block is rendered once through
// the full pipeline and kept, exactly as a one-shot render would render it.
//
// Every piece of model output still goes through the same pipeline as a full render (marked with the
// escaping renderer → DOMPurify with the strict policy → code-block toolbars), or into a Text node:
// nothing reaches the DOM as markup any other way, so the inert-output guarantees hold.
import { Marked, type Token, type TokensList } from 'marked';
import { resolveLanguage } from './highlight';
import { decorateCodeBlock, renderMarkdownFragment, type CodeBlockActions } from './markdown-dom';

// Only the lexer is used here (block boundaries); rendering goes through markdown.ts.
const lexer = new Marked({ gfm: true, breaks: false, async: false });

/** The same line-ending normalisation marked's lexer applies, so token `raw` lengths index our text. */
function normalise(s: string): string {
  return s.replace(/\r\n|\r/g, '\n');
}

/**
 * A fence opening at column 0 (marked's rule: a backtick fence's info string has no backtick). Indented
 * fences (in lists, say) take the ordinary last-block path.
 */
const OPEN_FENCE = /^(?:(`{3,})([^`\n]*)|(~{3,})([^\n]*))\n/;

/** Code text per chunk element of an open fence: each frame appends to (and re-lays out) one chunk. */
export const CHUNK_CHARS = 4096;

interface OpenFence {
  /** Marker (``` or ~~~, possibly longer) that closes it. */
  marker: string;
  /** Closing line, as marked's fence rule has it: ≤ 3 spaces, the marker or longer, trailing spaces only. */
  close: RegExp;
  /** Could the current, incomplete line still become a closing line: ≤ 3 spaces, marker chars, spaces. */
  closePrefix: RegExp;
  /** Characters of the tail (which starts with the fence) received so far. */
  consumed: number;
  /** The current, incomplete line while it could still become a closing line; undefined once it cannot. */
  line: string | undefined;
  code: HTMLElement;
  /** The chunk new code goes into, and its length. */
  live: Text;
  liveLength: number;
  liveEndsLine: boolean;
}

export interface StreamingStats {
  frames: number;
  /** Characters the markdown lexer looked at (block boundaries). */
  lexedChars: number;
  /** Characters put through the markdown pipeline (lexed, rendered, sanitized). */
  renderedChars: number;
  /** Characters of an open fence appended as text. */
  appendedChars: number;
  /** Characters an open fence examined for its closing line (new text plus a held, still possible closing line). */
  scannedChars: number;
  /** The longest text a chunk held when new code was appended to it (what a frame re-lays out). */
  maxChunkChars: number;
}

export class StreamingMarkdown {
  /** Normalised text before `frozenEnd`, in the pieces it was frozen in (only `source` joins them). */
  private readonly frozen: string[] = [];
  /** Normalised text from `frozenEnd` on, in pieces (an open fence only appends; others join it). */
  private tailParts: string[] = [];
  /** Raw characters consumed (before normalisation), to find the new part of the next update. */
  private rawLength = 0;
  /** A trailing '\r' held back until we know whether '\n' follows. */
  private heldCr = false;
  /** Length of the normalised text that is rendered into nodes never touched again. */
  private frozenEnd = 0;
  /** Nodes rendered from the tail that the next frame replaces. */
  private tailNodes: Node[] = [];
  /** Length of the tail the tail nodes were rendered from through the full pipeline (-1: not so). */
  private tailRenderedTo = -1;
  private fence: OpenFence | undefined;
  /** A reference definition (`[x]: url`) was seen: it can change links in blocks already frozen. */
  private sawLinkDefinition = false;
  /** Counters for tests and the benchmark. */
  readonly stats: StreamingStats = { frames: 0, lexedChars: 0, renderedChars: 0, appendedChars: 0, scannedChars: 0, maxChunkChars: 0 };

  constructor(private readonly target: HTMLElement, private readonly actions: CodeBlockActions) {
    target.replaceChildren();
  }

  /** The whole answer so far (it only ever grows while streaming). */
  get source(): string {
    return this.frozen.join('') + this.tail();
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
    const add = normalise(delta);
    this.tailParts.push(add);
    if (this.fence) {
      if (add) this.extendFence(add);
      return;
    }
    this.renderTail(false);
  }

  /** The answer is complete: render the last block as final (a trailing fence is closed by the end). */
  finish(): void {
    if (this.heldCr) {
      this.tailParts.push('\n');
      this.heldCr = false;
    }
    if (this.sawLinkDefinition) {
      // A definition may resolve links in blocks frozen before it arrived: render once as a whole.
      const all = this.source;
      this.target.replaceChildren();
      this.fence = undefined;
      this.tailNodes = [];
      this.appendRendered(all);
      this.frozen.splice(0, this.frozen.length, all);
      this.frozenEnd = all.length;
      this.tailParts = [];
      return;
    }
    // The last frame already rendered all of it the final way: keep it instead of rendering it twice.
    if (!this.fence && this.tailRenderedTo === this.tail().length) {
      this.tailNodes = [];
      this.freezeText(this.tail().length);
      return;
    }
    this.fence = undefined;
    this.renderTail(true);
  }

  /** The tail as one string (joined once per call that needs it, never per open-fence frame). */
  private tail(): string {
    if (this.tailParts.length > 1) this.tailParts = [this.tailParts.join('')];
    return this.tailParts[0] ?? '';
  }

  private reset(): void {
    this.frozen.length = 0;
    this.tailParts = [];
    this.rawLength = 0;
    this.heldCr = false;
    this.frozenEnd = 0;
    this.tailNodes = [];
    this.tailRenderedTo = -1;
    this.fence = undefined;
    this.sawLinkDefinition = false;
    this.target.replaceChildren();
  }

  private lex(markdown: string): TokensList {
    this.stats.lexedChars += markdown.length;
    const tokens = lexer.lexer(markdown);
    if (Object.keys(tokens.links).length > 0) this.sawLinkDefinition = true;
    return tokens;
  }

  /** `plain`: render the tail the ordinary way even if it starts with a fence (see closeFence). */
  private renderTail(final: boolean, plain = false): void {
    // Lex only the part after the frozen blocks: it starts at a block boundary.
    const tokens: Token[] = this.lex(this.tail());
    let last = tokens.length - 1;
    while (last >= 0 && tokens[last]!.type === 'space') last--;
    // Everything before the last block is finished: text appended later cannot change it (a setext
    // underline or lazy continuation only joins the last block; a new list item after a blank line only
    // joins a list that is itself the last block).
    if (!final && last > 0) {
      let len = 0;
      for (let i = 0; i < last; i++) len += tokens[i]!.raw.length;
      this.freeze(len);
    }
    const tail = this.tail();
    this.removeTail();
    if (tail.length === 0) return;
    if (final) {
      // The answer is done: its last block is as finished as the others.
      this.freeze(tail.length);
      return;
    }
    const open = plain ? null : OPEN_FENCE.exec(tail);
    if (open) {
      const marker = open[1] ?? open[3]!;
      const info = open[1] !== undefined ? open[2]! : open[4]!;
      this.startFence(marker, info, open[0].length);
      return;
    }
    this.tailNodes = this.appendRendered(tail);
    this.tailRenderedTo = tail.length;
  }

  /** Renders the first `length` characters of the tail once and keeps them. */
  private freeze(length: number): void {
    if (length <= 0) return;
    this.removeTail();
    this.appendRendered(this.tail().slice(0, length));
    this.freezeText(length);
  }

  /** Moves the first `length` characters of the tail (already rendered for good) to the frozen text. */
  private freezeText(length: number): void {
    const tail = this.tail();
    this.frozen.push(tail.slice(0, length));
    this.tailParts = [tail.slice(length)];
    this.frozenEnd += length;
    this.tailRenderedTo = -1;
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

  /** Shows the fence at the start of the tail as an open, unhighlighted code block, then its code so far. */
  private startFence(marker: string, info: string, headerLength: number): void {
    const language = resolveLanguage(info);
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    // `streaming-code` lays the chunks out as blocks (chat.css); the final render has plain <code>.
    code.className = language ? `hljs language-${language} streaming-code` : 'hljs streaming-code';
    pre.append(code);
    const holder = document.createElement('div');
    holder.append(pre);
    decorateCodeBlock(pre, this.actions);
    const nodes = Array.from(holder.childNodes);
    this.target.append(...nodes);
    this.tailNodes = nodes;
    const c = marker[0]!;
    const fence: OpenFence = {
      marker,
      close: new RegExp(`^ {0,3}${c}{${marker.length},} *$`),
      closePrefix: new RegExp(`^ {0,3}(?:${c}+ *)?$`),
      consumed: headerLength,
      line: '',
      code,
      live: this.newChunk(code),
      liveLength: 0,
      liveEndsLine: true,
    };
    this.fence = fence;
    const rest = this.tail().slice(headerLength);
    if (rest) this.extendFence(rest);
  }

  /**
   * Takes `add` (the text that just arrived) into the open fence: looks only at it, and at the current
   * line if that could still close the fence, for a closing line. Closed: the block is rendered once,
   * through the full pipeline, and kept. Open: `add` is appended as text.
   */
  private extendFence(add: string): void {
    const f = this.fence!;
    let lineStart = 0;
    for (let nl = add.indexOf('\n'); nl >= 0; nl = add.indexOf('\n', lineStart)) {
      if (f.line !== undefined) {
        const line = f.line + add.slice(lineStart, nl);
        this.stats.scannedChars += line.length;
        if (f.close.test(line)) {
          this.closeFence(f.consumed + nl + 1);
          return;
        }
      }
      f.line = '';
      lineStart = nl + 1;
    }
    if (f.line !== undefined) {
      const line = f.line + add.slice(lineStart);
      this.stats.scannedChars += line.length;
      f.line = f.closePrefix.test(line) ? line : undefined;
    }
    f.consumed += add.length;
    this.appendCode(add);
  }

  /**
   * Appends code to the live chunk. Once a chunk holds CHUNK_CHARS and ends a line, the next code goes
   * into a new chunk, so a chunk holds CHUNK_CHARS plus at most one line.
   */
  private appendCode(add: string): void {
    const f = this.fence!;
    this.stats.appendedChars += add.length;
    let from = 0;
    while (from < add.length) {
      if (f.liveLength >= CHUNK_CHARS && f.liveEndsLine) {
        f.live = this.newChunk(f.code);
        f.liveLength = 0;
      }
      // Fill up to CHUNK_CHARS, then to the end of the line that crosses it.
      let to = add.length;
      const room = CHUNK_CHARS - f.liveLength;
      if (to - from > room) {
        const nl = add.indexOf('\n', from + Math.max(0, room - 1));
        if (nl >= 0) to = nl + 1;
      }
      f.live.appendData(to - from === add.length ? add : add.slice(from, to));
      f.liveLength += to - from;
      f.liveEndsLine = add.charCodeAt(to - 1) === 10;
      if (f.liveLength > this.stats.maxChunkChars) this.stats.maxChunkChars = f.liveLength;
      from = to;
    }
  }

  private newChunk(code: HTMLElement): Text {
    const chunk = document.createElement('span');
    chunk.className = 'code-chunk';
    const text = document.createTextNode('');
    chunk.append(text);
    code.append(chunk);
    return text;
  }

  /** The fence closed at `end` (tail offset after the closing line): render the block once and keep it. */
  private closeFence(end: number): void {
    this.fence = undefined;
    this.removeTail();
    // Our scan and marked agree on where the fence ends (the same rule). Should they not, this frame
    // renders whatever marked makes of the tail the ordinary way (without reopening the fence here,
    // which would find the same line again).
    const first = this.lex(this.tail().slice(0, end))[0];
    if (first?.type === 'code' && first.raw.length <= end && end - first.raw.length <= 1) {
      this.freeze(end);
      this.renderTail(false);
    } else {
      this.renderTail(false, true);
    }
  }
}
