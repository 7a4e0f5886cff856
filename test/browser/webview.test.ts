// The chat webview bundle alone in headless Chromium: streaming, code-block actions, keyboard use, the three
// theme kinds, the CSP of the generated HTML, and an injection suite proving that hostile model output,
// file names and messages render inert (no script runs, no request leaves).
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ChatViewState, ContextChip, ContextMeter, ExtensionMessage } from '../../extension/protocol';
import { bundleWebview, chromiumAvailable, CHROMIUM, launch, openWebview, root, startServer, THEMES, type ThemeKind, type WebviewPage, type WebviewServer } from './harness';

const SHOTS = join(root, 'reports/browser');

function viewState(over: Partial<ChatViewState> = {}): ChatViewState {
  return { chatId: 'chat1', turns: [], chats: [{ id: 'chat1', title: 'Inventory', updatedAt: 0 }], busy: false, model: { phase: 'ready', name: 'tiny.gguf' }, curatedModels: [], ...over };
}
const METER: ContextMeter = { usedTokens: 900, windowTokens: 4480, group: 4, neighbor: 64, trained: 1152, selfExtendEnabled: true };
const CHIPS: ContextChip[] = [{ path: 'src/inventory.py', tokens: 210 }, { path: 'docs/notes.md', tokens: 60, partial: true }];
const TIMINGS = { promptTokens: 900, cachedTokens: 0, generatedTokens: 12, ttftMs: 120, decodeTps: 30, totalMs: 520 };

/** A full question/answer exchange as the extension host sends it, the answer streamed in `deltas`. */
function exchange(n: number, question: string, deltas: string[], chips: ContextChip[] = CHIPS): ExtensionMessage[] {
  return [
    { type: 'userTurn', turn: { id: `u${n}`, role: 'user', text: question } },
    { type: 'answerStart', turnId: `a${n}`, chips, meter: METER, omittedFiles: 0 },
    ...deltas.map((delta): ExtensionMessage => ({ type: 'token', turnId: `a${n}`, delta })),
    { type: 'answerEnd', turnId: `a${n}`, timings: TIMINGS, finish: 'done' },
  ];
}

/** Fails unless the page shows no sign of executed or fetched payloads. */
async function assertInert(w: WebviewPage, server: WebviewServer): Promise<void> {
  await w.frames();
  const report = await w.page.evaluate(() => {
    const rootEl = document.getElementById('root') ?? document.body;
    // The composer is the view's own <form>/<textarea>; everything else under #root shows host data.
    const composer = rootEl.querySelector(':scope > form.composer');
    const all = Array.from(rootEl.querySelectorAll('*')).filter((e) => !(composer && (e === composer || composer.contains(e))));
    return {
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      dangerousElements: all
        .filter((e) => /^(script|iframe|frame|object|embed|svg|math|img|image|style|link|meta|base|form|input|video|audio|source|template)$/i.test(e.tagName))
        .map((e) => e.outerHTML.slice(0, 120)),
      // The view sets style.width on its own meter, progress and download bars; no other element may carry a style.
      handlerAttrs: all.flatMap((e) =>
        Array.from(e.attributes)
          .filter((a) => /^on/i.test(a.name) || /^(srcdoc|src|formaction|action|xlink:href)$/i.test(a.name) || (a.name === 'style' && !/^(meter|progress|download)-fill$/.test(e.className)))
          .map((a) => `${e.tagName} ${a.name}`),
      ),
      badHrefs: Array.from(rootEl.querySelectorAll('a[href]'))
        .map((a) => a.getAttribute('href') ?? '')
        .filter((h) => !/^(https?:\/\/|mailto:)/i.test(h.replace(/[\u0000-\u0020]/g, ''))),
      scripts: document.scripts.length,
    };
  });
  assert.equal(report.pwned, undefined, 'a payload ran');
  assert.deepEqual(report.dangerousElements, [], 'elements that can run or fetch reached the DOM');
  assert.deepEqual(report.handlerAttrs, [], 'handler / fetching attributes reached the DOM');
  assert.deepEqual(report.badHrefs, [], 'non-web links reached the DOM');
  assert.equal(report.scripts, 1, 'only the nonce-carrying bundle script exists');
  assert.deepEqual(w.dialogs, [], 'a dialog opened');
  assert.deepEqual(w.strayRequests, [], 'the page tried to fetch something');
  assert.deepEqual(server.served.filter((p) => !server.allowedPaths.has(p)), [], 'the server was asked for something unexpected');
  assert.deepEqual(w.pageErrors, [], 'page errors');
}

describe('webview in headless Chromium', function () {
  let browser: Browser;
  let server: WebviewServer;
  let w: WebviewPage;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`    skipped: ${CHROMIUM} not found; install it with scripts/e2e/install.sh (apt-get install chromium)`);
      this.skip();
    }
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer(await bundleWebview());
    browser = await launch();
  });
  after(async function () {
    await browser?.close();
    await server?.close();
  });
  afterEach(async function () {
    await w?.close();
  });

  describe('CSP of the generated HTML', function () {
    it("is default-src 'none' with nonce scripts and no remote origins, and the browser enforces it", async function () {
      w = await openWebview(browser, server);
      const { html, nonce } = server.lastHtml!;
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1].replace(/&#39;|&apos;/g, "'");
      assert.ok(csp, 'the HTML carries a CSP meta tag');
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k, v]));
      assert.deepEqual(directives.get('default-src'), ["'none'"]);
      assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`], 'scripts only by nonce');
      for (const [name, sources] of directives) {
        for (const s of sources) {
          assert.ok(!/unsafe-inline|unsafe-eval|strict-dynamic|^\*$|^https?:$|^data:$/.test(s) || (name === 'img-src' && s === 'data:'), `${name} allows ${s}`);
          if (/^https?:\/\//.test(s)) assert.equal(s, server.origin, `${name} names a remote origin ${s}`);
        }
      }
      const scriptTags = html.match(/<script\b[^>]*>/g) ?? [];
      assert.deepEqual(scriptTags.map((t) => t.includes(`nonce="${nonce}"`)), [true], 'one script, carrying the nonce');
      // The browser must actually enforce it: an inline script without the nonce is refused.
      await w.page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__pwned = "inline"';
        document.body.append(s);
      });
      await w.page.waitForFunction(() => (window as unknown as { __csp: string[] }).__csp.length > 0);
      assert.match((await w.cspViolations())[0], /^script-src/);
      assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
      // Different renders get different nonces.
      await w.page.reload();
      assert.notEqual(server.lastHtml!.nonce, nonce);
    });
  });

  describe('streaming', function () {
    it('renders token deltas as they arrive, then the finished answer with chips, meter and timings', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() });
      const [user, start, ...rest] = exchange(1, 'Where is the restock rule?', []);
      await w.send(user, start);
      const answer = w.page.locator('article.turn.assistant');
      await answer.waitFor();
      assert.equal(await answer.getAttribute('aria-busy'), 'true');
      assert.equal(await w.page.locator('button.stop').isEnabled(), true, 'Stop is enabled while streaming');
      assert.equal(await w.page.locator('button.send').isEnabled(), false, 'Send is disabled while streaming');
      const deltas = ['The restock', ' rule lives in ', '`Inventory.needs_restock`', ': SKUs under', ' five units.'];
      let sofar = '';
      for (const d of deltas) {
        sofar += d;
        await w.send({ type: 'token', turnId: 'a1', delta: d });
        await w.frames();
        const text = await answer.locator('.markdown').innerText();
        assert.equal(text.trim(), sofar.replace(/`/g, '').trim(), 'each delta is on screen before the next');
      }
      assert.equal(await answer.locator('.markdown code').innerText(), 'Inventory.needs_restock', 'inline code renders while streaming');
      await w.send(...rest.slice(-1));
      await w.page.waitForFunction(() => document.querySelector('article.turn.assistant')?.getAttribute('aria-busy') === 'false');
      assert.deepEqual(await answer.locator('.chip').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.path)), ['src/inventory.py', 'docs/notes.md']);
      assert.match(await answer.locator('.chip').nth(1).innerText(), /notes\.md \(part\)/);
      assert.equal(await answer.locator('.meter').getAttribute('data-group'), '4');
      assert.match(await answer.locator('.meter-label').innerText(), /group size G=4, neighbour window W=64/);
      assert.match(await answer.locator('.turn-footer').innerText(), /900 prompt tokens/);
      assert.equal(await w.page.locator('button.stop').isEnabled(), false, 'Stop is disabled when idle');
      assert.equal(await w.page.locator('button.send').isEnabled(), true);
      await assertInert(w, server);
    });

    it('shows a half-streamed code fence as a code block and completes it', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', []).slice(0, 2));
      await w.send({ type: 'token', turnId: 'a1', delta: 'Here:\n\n```python\ndef needs_restock(self):\n' });
      await w.frames();
      assert.match(await w.page.locator('.code-block pre').innerText(), /def needs_restock/);
      await w.send({ type: 'token', turnId: 'a1', delta: '    return []\n```\nDone.' }, { type: 'answerEnd', turnId: 'a1', timings: TIMINGS, finish: 'done' });
      await w.frames();
      assert.match(await w.page.locator('.code-block pre').innerText(), /return \[\]/);
      assert.equal(await w.page.locator('.code-block .code-lang').innerText(), 'python');
      assert.match(await w.page.locator('article.turn.assistant .markdown > p').last().innerText(), /Done\./);
    });

    it('shows a stopped answer as stopped and returns to idle', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', ['partial answer']).slice(0, 3));
      await w.page.locator('button.stop').click();
      assert.deepEqual((await w.posted()).filter((m) => m.type === 'stop'), [{ type: 'stop' }]);
      await w.send({ type: 'answerEnd', turnId: 'a1', timings: TIMINGS, finish: 'stopped' });
      await w.page.waitForFunction(() => document.body.dataset.busy === 'false');
      assert.match(await w.page.locator('.turn-footer').innerText(), /stopped/i);
      assert.equal(await w.page.locator('button.send').isEnabled(), true);
    });
  });

  describe('code-block actions', function () {
    it('posts copyCode and insertCode with the exact code text', async function () {
      w = await openWebview(browser, server);
      const code = 'const total = orderTotal(lines);\nif (total > 100 && x < 3) console.log("<b>big</b>");';
      await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', ['Use:\n\n```js\n', code, '\n```\n']));
      await w.page.locator('.code-block button.copy-code').click();
      await w.page.locator('.code-block button.insert-code').click();
      const posted = (await w.posted()).filter((m) => m.type === 'copyCode' || m.type === 'insertCode');
      // textContent of the highlighted block: entities decoded, highlight spans gone, exactly the code.
      assert.deepEqual(posted, [{ type: 'copyCode', code }, { type: 'insertCode', code }]);
    });
  });

  describe('keyboard navigation', function () {
    it('asks with Enter, keeps Shift+Enter as a newline, and stops with Escape', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() });
      assert.equal(await w.page.evaluate(() => document.activeElement?.className), 'input', 'the question box has focus on open');
      await w.page.keyboard.type('Where is');
      await w.page.keyboard.press('Shift+Enter');
      await w.page.keyboard.type('the discount?');
      assert.deepEqual((await w.posted()).filter((m) => m.type === 'ask'), [], 'Shift+Enter does not send');
      await w.page.keyboard.press('Enter');
      assert.deepEqual((await w.posted()).filter((m) => m.type === 'ask'), [{ type: 'ask', text: 'Where is\nthe discount?' }]);
      assert.equal(await w.page.locator('textarea.input').inputValue(), '', 'the box is cleared after sending');
      await w.send(...exchange(1, 'Where is\nthe discount?', ['Partly']).slice(0, 3));
      await w.page.locator('textarea.input').focus();
      await w.page.keyboard.press('Escape');
      assert.deepEqual((await w.posted()).filter((m) => m.type === 'stop'), [{ type: 'stop' }], 'Escape stops generation');
    });

    it("tells the host when its window gains and loses focus (the chat's keybindings depend on it)", async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() });
      await w.page.evaluate(() => {
        window.dispatchEvent(new FocusEvent('blur'));
        window.dispatchEvent(new FocusEvent('focus'));
      });
      const focus = (await w.posted()).filter((m) => m.type === 'focusChanged');
      assert.deepEqual(focus.slice(-2), [{ type: 'focusChanged', focused: false }, { type: 'focusChanged', focused: true }]);
    });

    it('reaches chips, the meter and code-block buttons with Tab and activates them with Enter/Space', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', ['See:\n\n```js\nlet a = 1;\n```\n']));
      await w.frames();
      await w.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      const visited: string[] = [];
      for (let i = 0; i < 30; i++) {
        await w.page.keyboard.press('Tab');
        const d = await w.page.evaluate(() => {
          const a = document.activeElement as HTMLElement | null;
          return a ? `${a.tagName.toLowerCase()}.${a.className.split(' ')[0]}${a.dataset.path ? `[${a.dataset.path}]` : ''}` : '';
        });
        visited.push(d);
        if (d === 'button.chip[src/inventory.py]') {
          await w.page.keyboard.press('Enter');
        } else if (d === 'button.copy-code') {
          await w.page.keyboard.press('Space');
        }
        if (d.startsWith('textarea.input')) break;
      }
      for (const want of ['button.new-chat', 'select.history', 'main.messages', 'button.chip[src/inventory.py]', 'button.chip[docs/notes.md]', 'div.meter', 'button.copy-code', 'button.insert-code', 'textarea.input']) {
        assert.ok(visited.includes(want), `Tab reaches ${want}; order: ${visited.join(' → ')}`);
      }
      assert.ok(visited.indexOf('button.chip[src/inventory.py]') < visited.indexOf('button.copy-code'), 'focus follows reading order');
      const posted = await w.posted();
      assert.deepEqual(posted.filter((m) => m.type === 'openFile'), [{ type: 'openFile', path: 'src/inventory.py' }]);
      assert.deepEqual(posted.filter((m) => m.type === 'copyCode'), [{ type: 'copyCode', code: 'let a = 1;' }]);
    });
  });

  describe('themes', function () {
    const kinds: ThemeKind[] = ['light', 'dark', 'high-contrast'];
    for (const kind of kinds) {
      it(`follows the ${kind} theme's --vscode-* colours with readable contrast`, async function () {
        w = await openWebview(browser, server, kind);
        await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'How are totals discounted?', ['Orders of **20 items** or more get `BULK_DISCOUNT`:\n\n```js\nreturn total * (1 - BULK_DISCOUNT);\n```\n']));
        await w.send({ type: 'error', message: 'Example error: GPU out of memory', actions: ['openSettings'] });
        await w.frames();
        const c = await w.page.evaluate(() => {
          const css = (e: Element | null) => (e ? getComputedStyle(e) : undefined);
          return {
            cls: document.body.className,
            fg: css(document.body)?.color,
            bg: css(document.body)?.backgroundColor,
            sendBg: css(document.querySelector('button.send'))?.backgroundColor,
            sendFg: css(document.querySelector('button.send'))?.color,
            errBorder: css(document.querySelector('.banner'))?.borderTopColor,
          };
        });
        const hex = (s: string) => {
          const m = /^#(..)(..)(..)$/.exec(s)!;
          return `rgb(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)})`;
        };
        const t = THEMES[kind];
        assert.equal(c.cls, `vscode-${kind}`);
        assert.equal(c.fg, hex(t.foreground), 'text uses --vscode-foreground');
        assert.equal(c.bg, hex(t['sideBar-background']), 'background uses --vscode-sideBar-background');
        assert.equal(c.sendBg, hex(t['button-background']), 'the primary button uses --vscode-button-background');
        assert.equal(c.sendFg, hex(t['button-foreground']));
        assert.equal(c.errBorder, hex(t.errorForeground), 'errors are marked with --vscode-errorForeground');
        assert.ok(contrast(c.fg!, c.bg!) >= 4.5, `text contrast ${contrast(c.fg!, c.bg!).toFixed(2)} ≥ 4.5`);
        await w.page.screenshot({ path: join(SHOTS, `webview-${kind}.png`) });
      });
    }
  });

  describe('injection suite', function () {
    const PAYLOADS: Record<string, string> = {
      script: '<script>window.__pwned = "script"</script>',
      'img onerror': '<img src=x onerror="window.__pwned=\'img\'">',
      'javascript: link': '[click me](javascript:window.__pwned=\'link\') and <a href="javascript:window.__pwned=1">raw</a>',
      'javascript: link, obfuscated': '[x](jav&#x09;ascript:window.__pwned=1) [y]( JaVaScRiPt:window.__pwned=1) [z](data:text/html,<script>parent.__pwned=1</script>)',
      'markdown-smuggled HTML': 'Text <div onmouseover="window.__pwned=1">hover</div>\n\n<details open ontoggle="window.__pwned=1">x</details>\n\n> <b onclick=window.__pwned=1>quote</b>',
      'svg onload': '<svg onload="window.__pwned=\'svg\'"><circle r=5 /></svg>',
      'iframe srcdoc': '<iframe srcdoc="<script>parent.__pwned=\'iframe\'</script>"></iframe>',
      'remote image and CSS': '![tracker](http://203.0.113.7/t.png) <style>@import url(http://203.0.113.7/x.css);</style> <link rel=stylesheet href=http://203.0.113.7/y.css>',
      'meta refresh / base / form': '<meta http-equiv="refresh" content="0;url=http://203.0.113.7/"><base href="http://203.0.113.7/"><form action="http://203.0.113.7/"><button>go</button></form>',
      'object / embed': '<object data="http://203.0.113.7/x.swf"></object><embed src="http://203.0.113.7/y">',
      'HTML in a code fence': '```html\n<script>window.__pwned=1</script><img src=x onerror=window.__pwned=1>\n```',
      'HTML in inline code': '`<img src=x onerror=window.__pwned=1>`',
    };

    for (const [name, payload] of Object.entries(PAYLOADS)) {
      it(`model output: ${name} renders inert`, async function () {
        w = await openWebview(browser, server);
        // Streamed in small pieces too, so a tag split across deltas gets no chance either.
        const pieces = payload.match(/[\s\S]{1,7}/g) ?? [];
        await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', pieces));
        await assertInert(w, server);
        // Hover and click everything a user could, then check again.
        for (const el of await w.page.locator('#root .markdown *').all()) {
          await el.hover({ timeout: 1000 }).catch(() => undefined);
        }
        // Click what survived, except web links (following one is a user's choice, which VS Code confirms
        // and opens outside the webview) and the blocks holding them (a click at their centre may hit one).
        const clickable = w.page.locator('#root .markdown *').filter({ hasNot: w.page.locator('a[href]') });
        for (const el of await clickable.all()) {
          if (await el.evaluate((e) => e.matches('a[href]'))) continue;
          await el.click({ timeout: 1000 }).catch(() => undefined);
        }
        await assertInert(w, server);
      });
    }

    it('the inertness check itself catches a live payload (so the cases above can fail)', async function () {
      w = await openWebview(browser, server);
      await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', ['plain answer']));
      await assertInert(w, server);
      // Bypass the sanitizer on purpose: the check must see the element and the blocked request, and the CSP
      // must still refuse the inline handler (the second wall).
      await w.page.evaluate(() => {
        const md = document.querySelector('article.turn.assistant .markdown')!;
        md.insertAdjacentHTML('beforeend', '<img src="http://203.0.113.7/x.png" onerror="window.__pwned=1">');
      });
      await w.page.waitForFunction(() => (window as unknown as { __csp: string[] }).__csp.length > 0);
      await assert.rejects(assertInert(w, server), /elements that can run or fetch/);
      assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'CSP blocked the inline handler');
      w.strayRequests.length = 0;
    });

    it('file names and contents in chips, questions, errors, history and the finished turn render as text', async function () {
      w = await openWebview(browser, server);
      const evilName = 'src/"><img src=x onerror=window.__pwned=1>.js';
      const evilContent = '<script>window.__pwned="contents"</script>';
      await w.send(
        {
          type: 'state',
          state: viewState({
            chats: [{ id: 'chat1', title: '<img src=x onerror=window.__pwned=1>', updatedAt: 0 }],
            model: { phase: 'ready', name: '<svg onload=window.__pwned=1>.gguf' },
          }),
        },
        ...exchange(1, `Explain ${evilContent} in ${evilName}`, [`File ${evilName} says:\n\n${evilContent}\n`], [{ path: evilName, tokens: 5 }, { path: 'a/<iframe srcdoc="<script>parent.__pwned=1</script>">', tokens: 1 }]),
        { type: 'progress', phase: 'reading-repository', detail: '<img src=x onerror=window.__pwned=1>' },
        { type: 'error', message: `Could not read ${evilName}: ${evilContent}`, actions: ['showStatus'] },
      );
      await assertInert(w, server);
      assert.equal(await w.page.locator('.chip').first().getAttribute('data-path'), evilName, 'the name is kept, as data');
      assert.match(await w.page.locator('.chip').first().innerText(), /<img src=x onerror=window.__pwned=1>\.js/, 'and shown as text');
      assert.match(await w.page.locator('article.turn.user').innerText(), /<script>window.__pwned="contents"<\/script>/);
      assert.match(await w.page.locator('.banner').innerText(), /Could not read src\/"><img/);
      await w.page.locator('.chip').first().click();
      assert.deepEqual((await w.posted()).filter((m) => m.type === 'openFile'), [{ type: 'openFile', path: evilName }]);
      await assertInert(w, server);
    });
  });
});

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (s: string) => {
    const [r, g, bl] = (s.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
