// Issue 14's chat view in headless Chromium: actions on answers and questions, explicit context (@
// mentions, / commands, the editor's file/selection offers, pinning left-out files), the model bar,
// downloads with Retry, notes instead of silence, layout at 220 px and in wide panels, the light
// theme's meter track — and issue 13 finding 9: streaming keeps finished blocks instead of
// re-rendering the whole answer.
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ChatViewState, ContextMeter, ExtensionMessage, WebviewMessage } from '../../extension/protocol';
import { bundleWebview, chromiumAvailable, CHROMIUM, launch, openWebview, root, startServer, type WebviewPage, type WebviewServer } from './harness';

const SHOTS = join(root, 'reports/browser');
const METER: ContextMeter = { usedTokens: 900, windowTokens: 4480, group: 4, neighbor: 64, trained: 1152, selfExtendEnabled: true };
const TIMINGS = { promptTokens: 900, cachedTokens: 0, generatedTokens: 12, ttftMs: 120, decodeTps: 30, totalMs: 520 };

function viewState(over: Partial<ChatViewState> = {}): ChatViewState {
  return { chatId: 'chat1', turns: [], chats: [{ id: 'chat1', title: 'Pricing', updatedAt: 0 }], busy: false, model: { phase: 'ready', name: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf' }, curatedModels: [], ...over };
}

function exchange(n: number, question: string, answer: string, extra: Partial<Extract<ExtensionMessage, { type: 'answerStart' }>> = {}): ExtensionMessage[] {
  return [
    { type: 'userTurn', turn: { id: `u${n}`, role: 'user', text: question, request: 'ask' } },
    { type: 'answerStart', turnId: `a${n}`, chips: [{ path: 'src/pricing.js' }], meter: METER, omittedFiles: 0, ...extra },
    { type: 'token', turnId: `a${n}`, delta: answer },
    { type: 'answerEnd', turnId: `a${n}`, timings: TIMINGS, finish: 'done' },
  ];
}

async function postedOf<T extends WebviewMessage['type']>(w: WebviewPage, type: T): Promise<Extract<WebviewMessage, { type: T }>[]> {
  return (await w.posted()).filter((m): m is Extract<WebviewMessage, { type: T }> => m.type === type);
}

describe('chat view (issue 14) in headless Chromium', function () {
  let browser: Browser;
  let server: WebviewServer;
  let w: WebviewPage;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`    skipped: ${CHROMIUM} not found`);
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

  it('offers Copy and Regenerate on the last answer, Edit on questions, and Retry on an error', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'Where is the discount?', 'In `pricing.js`.'), ...exchange(2, 'And the tax?', 'Nowhere.'));
    await w.frames();
    assert.equal(await w.page.locator('button.regenerate').count(), 1, 'Regenerate only on the last answer');
    await w.page.locator('article.turn.assistant').first().locator('button.copy-answer').click();
    await w.page.locator('button.regenerate').click();
    assert.deepEqual(await postedOf(w, 'copyAnswer'), [{ type: 'copyAnswer', turnId: 'a1' }]);
    assert.deepEqual(await postedOf(w, 'regenerate'), [{ type: 'regenerate', turnId: 'a2' }]);
    // Edit & resend: the question goes back into the box; sending replaces it.
    await w.page.locator('article.turn.user').first().locator('button.edit-question').click();
    assert.equal(await w.page.locator('textarea.input').inputValue(), 'Where is the discount?');
    assert.match(await w.page.locator('.composer-note').innerText(), /replaces it/);
    await w.page.locator('textarea.input').fill('Where is the bulk discount?');
    await w.page.keyboard.press('Enter');
    assert.deepEqual(await postedOf(w, 'ask'), [{ type: 'ask', text: 'Where is the bulk discount?', replaceFrom: 'u1' }]);
    // An error in an answer: shown once, inline, with Retry.
    await w.send({ type: 'userTurn', turn: { id: 'u3', role: 'user', text: 'Once more', request: 'ask' } }, { type: 'error', turnId: 'a3', message: 'The model file /m/x.gguf does not exist.', actions: ['selectModel'] });
    await w.frames();
    assert.equal(await w.page.locator('.turn-error').count(), 1);
    assert.equal(await w.page.locator('.banner').isVisible(), false, 'not also as a banner');
    await w.page.locator('.turn-error button.retry').click();
    assert.deepEqual((await postedOf(w, 'regenerate')).at(-1), { type: 'regenerate', turnId: 'a3' });
    await w.page.screenshot({ path: join(SHOTS, 'chat-actions.png') });
  });

  it('@ offers workspace files and / offers commands; an attached file goes with the question', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() });
    const input = w.page.locator('textarea.input');
    await input.focus();
    await w.page.keyboard.type('Explain @pri');
    await w.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'suggestFiles'));
    assert.equal((await postedOf(w, 'suggestFiles')).at(-1)?.query, 'pri');
    await w.send({ type: 'fileSuggestions', query: 'pri', paths: ['src/pricing.js', 'docs/pricing.md'] });
    await w.page.locator('.suggest-item').first().waitFor();
    assert.deepEqual(await w.page.locator('.suggest-item .suggest-label').allInnerTexts(), ['pricing.js', 'pricing.md']);
    await w.page.screenshot({ path: join(SHOTS, 'chat-mention.png') });
    await w.page.keyboard.press('Enter');
    assert.equal(await input.inputValue(), 'Explain @src/pricing.js ');
    assert.deepEqual(await w.page.locator('.attached-chip').evaluateAll((e) => e.map((x) => (x as HTMLElement).dataset.path)), ['src/pricing.js']);
    await w.page.keyboard.type('please');
    await w.page.keyboard.press('Enter');
    assert.deepEqual(await postedOf(w, 'ask'), [{ type: 'ask', text: 'Explain @src/pricing.js please', attachments: [{ kind: 'file', path: 'src/pricing.js' }] }]);
    assert.equal(await w.page.locator('.attached-chip').count(), 0, 'attachments go with one question');
    // Slash commands.
    await w.page.keyboard.type('/ne');
    assert.deepEqual(await w.page.locator('.suggest-item .suggest-label').allInnerTexts(), ['/new']);
    await w.page.keyboard.press('Enter');
    assert.equal((await postedOf(w, 'newChat')).length, 1);
    assert.equal(await input.inputValue(), '');
    await w.page.keyboard.type('/');
    assert.ok((await w.page.locator('.suggest-item .suggest-label').allInnerTexts()).includes('/summarize'));
  });

  it('shows the editor file and selection before sending and attaches them on a click', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() }, { type: 'editorFocus', editor: { activeFile: 'src/pricing.js', selection: { path: 'src/pricing.js', startLine: 3, endLine: 8 } } });
    await w.frames();
    assert.match(await w.page.locator('.offer-hint').innerText(), /src\/pricing\.js lines 3–8/);
    await w.page.locator('button.offer-selection').click();
    assert.deepEqual(await w.page.locator('.attached-chip .chip-name').allInnerTexts(), ['pricing.js:3–8']);
    await w.page.screenshot({ path: join(SHOTS, 'chat-selection-chip.png') });
    await w.page.locator('textarea.input').fill('What does this do?');
    await w.page.locator('button.send').click();
    assert.deepEqual((await postedOf(w, 'ask'))[0]?.attachments, [{ kind: 'selection', path: 'src/pricing.js', startLine: 3, endLine: 8 }]);
    // The host can also fill the box ("Ask about selection").
    await w.send({ type: 'compose', attachments: [{ kind: 'file', path: 'src/inventory.py' }] });
    await w.frames();
    assert.deepEqual(await w.page.locator('.attached-chip').evaluateAll((e) => e.map((x) => (x as HTMLElement).dataset.path)), ['src/inventory.py']);
    assert.equal(await w.page.evaluate(() => document.activeElement?.className), 'input');
  });

  it('lists left-out files to open or attach', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', 'answer', { omittedFiles: 268, leftOut: ['src/tax.js', 'src/cart.js'] }));
    await w.frames();
    await w.page.locator('button.omitted').click();
    assert.deepEqual(await w.page.locator('.left-out-open').allInnerTexts(), ['src/tax.js', 'src/cart.js']);
    assert.match(await w.page.locator('.left-out-note').innerText(), /266 more/);
    await w.page.locator('.left-out-open').first().click();
    await w.page.locator('.left-out-pin').nth(1).click();
    assert.deepEqual(await postedOf(w, 'openFile'), [{ type: 'openFile', path: 'src/tax.js' }]);
    assert.deepEqual(await w.page.locator('.attached-chip').evaluateAll((e) => e.map((x) => (x as HTMLElement).dataset.path)), ['src/cart.js']);
    await w.page.screenshot({ path: join(SHOTS, 'chat-left-out.png') });
  });

  it('names the model, clears a stale banner when a model is chosen, and disables Send without one', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState({ model: { phase: 'unset' } }) }, { type: 'error', message: 'No model is configured.', actions: ['selectModel'] });
    await w.frames();
    assert.equal(await w.page.locator('button.send').isEnabled(), false, 'Send is disabled with no model');
    assert.match(await w.page.locator('.model-bar').innerText(), /No model/);
    await w.page.locator('textarea.input').fill('hello');
    await w.page.locator('textarea.input').press('Enter');
    assert.match(await w.page.locator('.composer-note').innerText(), /Choose a model first/);
    assert.deepEqual(await postedOf(w, 'ask'), []);
    await w.send({ type: 'model', model: { phase: 'idle', name: 'tiny.gguf' } });
    await w.frames();
    assert.equal(await w.page.locator('.banner').isVisible(), false, 'the stale error is gone');
    assert.match(await w.page.locator('.model-bar .model-name').innerText(), /tiny\.gguf/);
    assert.equal(await w.page.locator('button.send').isEnabled(), true);
  });

  it('says so when Enter is pressed while an answer is generated, keeping the question', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', 'partial').slice(0, 3));
    await w.page.locator('textarea.input').fill('next question');
    await w.page.locator('textarea.input').press('Enter');
    assert.match(await w.page.locator('.composer-note').innerText(), /Still answering/);
    assert.equal(await w.page.locator('textarea.input').inputValue(), 'next question');
  });

  it('shows download progress and an offline failure with Retry, without overflowing', async function () {
    w = await openWebview(browser, server);
    await w.page.setViewportSize({ width: 220, height: 600 });
    await w.send({ type: 'state', state: viewState({ model: { phase: 'unset' } }) }, { type: 'download', download: { modelId: 'tinyllama-1.1b-chat-v1.0-q4_k_m', label: 'TinyLlama 1.1B Chat (Q4_K_M)', state: 'running', receivedBytes: 2 ** 28, totalBytes: 668_788_096 } });
    await w.frames();
    assert.match(await w.page.locator('.download-text').innerText(), /256 MiB of 0\.62 GiB \(40%\)/);
    await w.send({ type: 'download', download: { modelId: 'tinyllama-1.1b-chat-v1.0-q4_k_m', label: 'TinyLlama 1.1B Chat (Q4_K_M)', state: 'failed', receivedBytes: 0, totalBytes: 668_788_096, offline: true, message: 'You appear to be offline: the server refused the connection. Check your connection, then Retry (a partial download resumes).' } });
    await w.frames();
    assert.match(await w.page.locator('.download-text').innerText(), /appear to be offline/);
    const overflow = await w.page.evaluate(() => [...document.querySelectorAll('.download, .download *')].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.className));
    assert.deepEqual(overflow, [], 'nothing in the download box overflows at 220 px');
    await w.page.locator('button.retry-download').click();
    assert.deepEqual(await postedOf(w, 'downloadModel'), [{ type: 'downloadModel', modelId: 'tinyllama-1.1b-chat-v1.0-q4_k_m' }]);
    await w.page.screenshot({ path: join(SHOTS, 'chat-download-offline-220.png') });
  });

  it('lays out for 220 px and for wide panels; the light meter track is visible; packing never sits at 0%', async function () {
    w = await openWebview(browser, server, 'light');
    await w.page.setViewportSize({ width: 220, height: 700 });
    await w.send({ type: 'state', state: viewState({ chats: [{ id: 'chat1', title: 'Where is the restock rule and the bulk discount?', updatedAt: 0 }] }) }, ...exchange(1, 'q', 'An answer.'));
    await w.frames();
    const selectWidth = await w.page.locator('select.history').evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(selectWidth >= 150, `the history select is ${selectWidth} px wide at 220 px`);
    const track = await w.page.locator('.meter-bar').evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(document.body).backgroundColor]);
    assert.notEqual(track[0], track[1], 'the empty meter track differs from the background');
    assert.ok(!/rgba\(0, 0, 0, 0\)|transparent/.test(track[0]!), `track colour ${track[0]}`);
    await w.page.screenshot({ path: join(SHOTS, 'chat-light-220.png') });
    await w.page.setViewportSize({ width: 1300, height: 700 });
    const turnWidth = await w.page.locator('article.turn.assistant').evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(turnWidth <= 900, `answers are ${turnWidth} px wide in a 1,300 px panel`);
    await w.send({ type: 'progress', phase: 'reading-repository', fraction: 0, detail: 'packing 12 of 40 files' });
    await w.frames();
    assert.equal(await w.page.locator('.status').innerText(), 'Reading repository — packing 12 of 40 files');
    assert.equal(await w.page.locator('.progress').getAttribute('class'), 'progress indeterminate');
  });

  it("shows in the answer's footer, as text, that the prompt was not in the model's chat format (issue 10 point 4)", async function () {
    w = await openWebview(browser, server);
    const why = 'the template of <b>m.gguf</b> failed <img src=x onerror=window.__pwned=1> — the prompt is a plain "User: / Assistant:" transcript instead';
    const [u, s, t] = exchange(1, 'q', 'Answer.');
    await w.send({ type: 'state', state: viewState() }, u!, s!, t!, { type: 'answerEnd', turnId: 'a1', timings: TIMINGS, finish: 'done', promptFallback: why });
    await w.frames();
    assert.equal(await w.page.locator('article.turn.assistant .prompt-fallback').innerText(), `Prompt format: ${why}`);
    assert.equal(await w.page.locator('article.turn.assistant .prompt-fallback *').count(), 0, 'text only');
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    // An answer in the model's own format has no such line.
    await w.send(...exchange(2, 'q2', 'Two.'));
    await w.frames();
    assert.equal(await w.page.locator('article.turn.assistant .prompt-fallback').count(), 1);
  });

  it('streams incrementally: finished blocks and an open code block are kept, not re-rendered', async function () {
    w = await openWebview(browser, server);
    await w.send({ type: 'state', state: viewState() }, ...exchange(1, 'q', 'First paragraph.\n\n').slice(0, 3));
    await w.send({ type: 'token', turnId: 'a1', delta: 'Second one.\n\n```js\nconst a = 1;\n' });
    await w.frames();
    await w.page.evaluate(() => {
      const md = document.querySelector('article.turn.assistant .markdown')!;
      (md.querySelector('p') as unknown as { __mark: number }).__mark = 1;
      (md.querySelector('code') as unknown as { __mark: number }).__mark = 2;
    });
    for (let i = 0; i < 50; i++) await w.send({ type: 'token', turnId: 'a1', delta: `const v${i} = ${i};\n` });
    await w.frames();
    const kept = await w.page.evaluate(() => {
      const md = document.querySelector('article.turn.assistant .markdown')!;
      return [(md.querySelector('p') as unknown as { __mark?: number }).__mark, (md.querySelector('code') as unknown as { __mark?: number }).__mark, md.querySelector('code')!.textContent!.split('\n').length];
    });
    assert.deepEqual(kept.slice(0, 2), [1, 2], 'the same paragraph and code elements, extended in place');
    assert.ok((kept[2] as number) >= 51, 'the code grew');
    // Closing the fence renders it once, highlighted, with its toolbar; text after it streams on.
    await w.send({ type: 'token', turnId: 'a1', delta: '```\n\nDone <img src=x onerror=window.__pwned=1>.' }, { type: 'answerEnd', turnId: 'a1', timings: TIMINGS, finish: 'done' });
    await w.frames();
    assert.equal(await w.page.locator('.code-block .code-lang').innerText(), 'javascript');
    assert.ok(await w.page.locator('.code-block code .hljs-keyword').count() > 0, 'highlighted once closed');
    assert.match(await w.page.locator('.markdown > p').last().innerText(), /Done <img/);
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await w.page.locator('.markdown img').count(), 0);
  });
});
