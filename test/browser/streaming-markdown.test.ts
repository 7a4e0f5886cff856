// Issue 13 finding 9: the streaming renderer (webview/streaming-markdown.ts) in headless Chromium.
// Counts, not timings: a long open code fence costs each frame work bounded by the new text (no
// re-parse of the block, one small text chunk touched, nothing removed and rebuilt), the finished
// answer is the same DOM as a one-shot render for any split into pieces, and hostile text in and
// around fences never becomes live markup at any frame.
import * as assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import type { StreamingStats } from '../../webview/streaming-markdown';
import type { FrameCounts } from './stream-render-entry';
import { chromiumAvailable, CHROMIUM, launch, openWebview, root, startServer, type WebviewPage, type WebviewServer } from './harness';

interface Streamed {
  html: string;
  stats: StreamingStats;
  frames: FrameCounts[];
  chunkChars: number;
}

function codeBlock(bytes: number, info = 'ts'): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const l = `  const value${i} = compute(${i}, "item-${i}") + offset; // line ${i}`;
    lines.push(l);
    n += l.length + 1;
  }
  return '```' + info + '\n' + lines.join('\n') + '\n```\n';
}

function split(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Seeded random split (mulberry32), piece sizes 1–max. */
function randomSplit(text: string, seed: number, max: number): string[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * max);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const HOSTILE = '<img src=x onerror=window.__pwned=1>';

/** Answers with fences closed, unclosed, look-alike and hostile, and the markdown around them. */
const CASES: Record<string, string> = {
  'fence then prose with HTML': '```js\nconst a = 1;\n```\n\nDone ' + HOSTILE + '.\n',
  'HTML inside a fence': '```html\n<script>window.__pwned=1</script>' + HOSTILE + '\n</code></pre>' + HOSTILE + '\n```\nafter\n',
  'closing line split across pieces, then more': 'Intro.\n\n```py\nprint("x")\n```\n<b onclick=window.__pwned=1>b</b>\n\n```\nsecond\n```',
  '``` inside text and code': 'Use ``` to fence, or `` ` ``.\n\n```\na ``` b\n  ```x\n```\ntext ``` here\n',
  'indented and longer closing lines': '````md\n```\nnot closed by three\n````` \nafter\n\n```\n   ```\nafter2\n',
  'tab after the marker is not a closing line': '```\nabc\n```\t\nstill code ' + HOSTILE + '\n```\nout\n',
  'backtick in the info string: not a fence': '```a`b\nfoo\n```\nbar ' + HOSTILE + '\n',
  'tilde fence holding backticks': '~~~\n```\n' + HOSTILE + '\n~~~\ntext\n',
  'unclosed fence at the end': 'Here:\n\n```rust\nfn main() {\n    println!("<img src=x onerror=1>");\n',
  'CRLF line ends': '```js\r\nlet x = "<svg onload=window.__pwned=1>";\r\n```\r\nok\r\n',
  'fence in a list item': '- a\n\n  ```\n  ' + HOSTILE + '\n  ```\n- b\n',
  'link defined after use': 'See [the docs][d].\n\n```\ncode\n```\n\n[d]: https://example.com/docs\n',
  'setext heading and table after a fence': '```\nx\n```\nTitle\n===\n\n| a | b |\n|---|---|\n| 1 | ' + HOSTILE + ' |\n',
  'empty fence and fence at the very end': '```\n```\n```',
  'script and style around fences': '<script>window.__pwned=1</script>\n```css\nbody{}\n```\n<style>body{display:none}</style>\n',
};

describe('streaming markdown (issue 13 finding 9) in headless Chromium', function () {
  let browser: Browser;
  let server: WebviewServer;
  let w: WebviewPage;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`    skipped: ${CHROMIUM} not found`);
      this.skip();
    }
    const r = await esbuild.build({ absWorkingDir: root, entryPoints: ['test/browser/stream-render-entry.ts'], bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2022', loader: { '.wgsl': 'text' }, logLevel: 'silent' });
    server = await startServer(r.outputFiles[0]!.text);
    browser = await launch();
    w = await openWebview(browser, server);
  });
  after(async function () {
    await w?.close();
    await browser?.close();
    await server?.close();
  });

  const stream = (pieces: string[]) => w.page.evaluate((p) => (window as unknown as { __stream(p: string[]): Streamed }).__stream(p), pieces);
  const oneShot = (text: string) => w.page.evaluate((t) => (window as unknown as { __oneShot(t: string): string }).__oneShot(t), text);

  it('a 200 KB code block in 2,000 pieces: per-frame work is bounded by the new text, not by the block', async function () {
    const text = codeBlock(200_000);
    const pieces = split(text, Math.ceil(text.length / 2000));
    const longestLine = Math.max(...text.split('\n').map((l) => l.length + 1));
    const r = await stream(pieces);
    const CHUNK_CHARS = r.chunkChars;
    const pieceMax = Math.max(...pieces.map((p) => p.length));
    // The frame that closes the fence renders the block once; every other frame only looks at its piece
    // (lexed once when the fence opens, scanned for a closing line, plus a held line that could still
    // close the fence).
    const closing = r.frames.findIndex((f) => f.parsed > text.length / 2);
    assert.ok(closing >= 0, 'the block is rendered once when it closes');
    const others = r.frames.filter((_, i) => i !== closing);
    const worstParsed = Math.max(...others.map((f) => f.parsed));
    assert.ok(worstParsed <= 2 * pieceMax + longestLine, `a frame re-parsed ${worstParsed} characters (piece ≤ ${pieceMax}, line ≤ ${longestLine})`);
    assert.ok(r.stats.renderedChars <= text.length + 16, `rendered ${r.stats.renderedChars} characters of ${text.length}: each once`);
    // While it is open nothing is removed and rebuilt, and appending touches one chunk of bounded size.
    const whileOpen = r.frames.slice(1, closing);
    assert.equal(whileOpen.reduce((s, f) => s + f.removedNodes, 0), 0, 'no node removed while the fence is open');
    const worstText = Math.max(...r.frames.slice(0, closing).map((f) => f.longestChangedText));
    assert.ok(worstText <= CHUNK_CHARS + longestLine + pieceMax, `a frame changed a text node of ${worstText} characters (chunk ${CHUNK_CHARS})`);
    assert.ok(r.stats.maxChunkChars <= CHUNK_CHARS + longestLine);
    // And the result is the one-shot render.
    assert.equal(r.html, await oneShot(text));
  });

  it('a long open fence with no closing line yet keeps its chunks bounded, and finish() renders it once', async function () {
    const text = codeBlock(60_000).replace(/```\n$/, '');
    const r = await stream(split(text, 23));
    assert.ok(r.stats.maxChunkChars <= r.chunkChars + 80);
    assert.ok(r.stats.renderedChars <= text.length + 16, `rendered ${r.stats.renderedChars} of ${text.length}`);
    assert.equal(r.html, await oneShot(text));
  });

  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}: the same DOM as a one-shot render for every split, inert at every frame`, async function () {
      const want = await oneShot(text);
      const splits = [split(text, 1), split(text, 2), split(text, 3), split(text, 7), split(text, 64), [text]];
      for (let seed = 1; seed <= 6; seed++) splits.push(randomSplit(text, seed, 12));
      for (const pieces of splits) {
        const r = await stream(pieces);
        assert.equal(r.html, want, `pieces of ${pieces.map((p) => p.length).join(',')}`);
        const live = r.frames.findIndex((f) => f.live > 0);
        assert.equal(live, -1, `an element that can run or fetch after frame ${live}`);
      }
      assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    });
  }
});
