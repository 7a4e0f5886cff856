import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource } from '../../../extension/core/workspace';
import { ChatSession, DEFAULT_SETTINGS, normalizeSettings, resolveWindow, summarizeText, splitByTokens, RequestQueue, type AssistantSettings } from '../../../extension/core/chat';
import { FakeModel } from './fake-model';

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-chat-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

function settings(over: Partial<AssistantSettings> = {}, se: Partial<AssistantSettings['selfExtend']> = {}): AssistantSettings {
  return normalizeSettings({ ...DEFAULT_SETTINGS, maxNewTokens: 64, ...over, selfExtend: { ...DEFAULT_SETTINGS.selfExtend, targetContext: 4096, ...se } });
}

describe('extension/core/chat: extended window', () => {
  it('chooses G automatically from the target context, validates explicit G/W, and honours enabled=false', () => {
    const auto = resolveWindow({ enabled: true, groupSize: 0, neighborWindow: 0, targetContext: 4096 }, 512, 8192);
    assert.ok(auto.groupSize > 1 && auto.reachable >= 4096 && auto.window === 4096);
    assert.equal(auto.neighborWindow % auto.groupSize, 0);
    const fits = resolveWindow({ enabled: true, groupSize: 0, neighborWindow: 0, targetContext: 400 }, 512, 8192);
    assert.equal(fits.groupSize, 1);
    const explicit = resolveWindow({ enabled: true, groupSize: 4, neighborWindow: 128, targetContext: 0 }, 512, 8192);
    assert.deepEqual(explicit.params, { groupSize: 4, neighborWindow: 128 });
    assert.equal(explicit.reachable, (512 - 128) * 4 + 128);
    assert.throws(() => resolveWindow({ enabled: true, groupSize: 4, neighborWindow: 130, targetContext: 0 }, 512, 8192), /multiple of group size/);
    const off = resolveWindow({ enabled: false, groupSize: 8, neighborWindow: 64, targetContext: 9999 }, 512, 8192);
    assert.deepEqual([off.groupSize, off.window], [1, 512]);
    const capped = resolveWindow({ enabled: true, groupSize: 16, neighborWindow: 64, targetContext: 0 }, 512, 2048);
    assert.equal(capped.window, 2048, 'the KV cache capacity bounds the window');
  });
});

describe('extension/core/chat: ChatSession', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));
  const mk = (files: Record<string, string>): string => {
    const r = repo(files);
    roots.push(r);
    return r;
  };

  it('answers with the whole repository first, the question last, and reuses the prefix on follow-ups', async () => {
    const root = mk({ 'src/a.ts': 'export const alpha = 1;\n', 'src/b.ts': 'export const beta = 2;\n', 'README.md': '# Demo project\n' });
    const model = new FakeModel(512, 8192);
    const s = settings();
    const chat = new ChatSession({ model, source: new NodeFileSource(root), settings: () => s });
    const r1 = await chat.ask({ question: 'What is alpha?' });
    assert.deepEqual(r1.files, ['README.md', 'src/a.ts', 'src/b.ts']);
    assert.equal(r1.context.mode, 'whole');
    const prompt1 = model.tokenizer.decode(model.calls[0]!.input);
    assert.ok(prompt1.indexOf('### src/a.ts') < prompt1.indexOf('What is alpha?'), 'repository before question');
    assert.ok(prompt1.trimEnd().endsWith('What is alpha?</><assistant>'), 'question last');
    assert.equal(r1.answer, `answer after ${r1.promptTokens} tokens`);
    assert.deepEqual(model.calls[0]!.opts.selfExtend, r1.window.params);
    assert.ok(r1.window.groupSize > 1, 'a 4096-token target on a 512-token model needs SelfExtend');
    assert.equal(r1.ttftMs, 5);
    assert.equal(r1.decodeTps, 50);

    const r2 = await chat.ask({ question: 'And beta?' });
    const prefix = model.tokenizer.decode(model.calls[1]!.input).indexOf('<user>What is alpha?');
    assert.ok(r2.cachedTokens >= prefix, `follow-up must reuse the repository prefix (${r2.cachedTokens} < ${prefix})`);
    // Everything up to the previous answer is reused: only the new turn is prefilled.
    assert.ok(r2.promptTokens - r2.cachedTokens <= '</><user>And beta?</><assistant>'.length + 2);
    assert.equal(chat.history.length, 2);
  });

  it('reports the prompt context (files, tokens, window) once, before the first token', async () => {
    const root = mk({ 'src/a.ts': 'export const alpha = 1;\n', 'README.md': '# Demo\n' });
    const model = new FakeModel(512, 8192);
    const chat = new ChatSession({ model, source: new NodeFileSource(root), settings: () => settings() });
    const events: string[] = [];
    let seen: import('../../../extension/core/chat').PromptContext | undefined;
    const r = await chat.ask({
      question: 'What is alpha?',
      onContext: (c) => { events.push('context'); seen = c; assert.equal(model.calls.length, 0, 'before generation starts'); },
      onToken: () => events.push('token'),
    });
    assert.equal(events[0], 'context');
    assert.equal(events.filter((e) => e === 'context').length, 1);
    assert.ok(events.length > 1);
    assert.deepEqual(seen?.files, r.files);
    assert.deepEqual(seen?.files, ['README.md', 'src/a.ts']);
    assert.deepEqual(seen?.partialFiles, []);
    assert.equal(seen?.promptTokens, model.calls[0]!.input.length);
    assert.equal(seen?.window.groupSize, r.window.groupSize);
    assert.equal(seen?.context.mode, 'whole');
  });

  it('an edited file invalidates the cache only from that file on', async () => {
    const root = mk({ 'a.ts': 'const first = 1;\n', 'm.ts': 'const middle = 2;\n', 'z.ts': 'const last = 3;\n' });
    const model = new FakeModel(512, 8192);
    const chat = new ChatSession({ model, source: new NodeFileSource(root), settings: () => settings() });
    await chat.ask({ question: 'q1' });
    fs.writeFileSync(path.join(root, 'm.ts'), 'const middle = 22;\n');
    const r2 = await chat.ask({ question: 'q2' });
    const p2 = model.tokenizer.decode(model.calls[1]!.input);
    assert.ok(p2.includes('middle = 22'), 'the edited content is used');
    const changedAt = p2.indexOf('middle = 22') + 'middle = 2'.length + 1; // BOS + position of the first differing char
    assert.equal(r2.cachedTokens, changedAt);
  });

  it('pins a ranked selection across follow-ups so the prefix stays identical', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`pkg/f${i}.ts`] = `export function fn${i}() { return ${i}; }\n`.repeat(30);
    files['pkg/ledger.ts'] = 'export function reconcileLedger() {}\n';
    const model = new FakeModel(256, 8192);
    const s = settings({}, { targetContext: 3000 });
    const chat = new ChatSession({ model, source: new NodeFileSource(mk(files)), settings: () => s });
    const r1 = await chat.ask({ question: 'where is reconcileLedger?' });
    assert.equal(r1.context.mode, 'ranked');
    assert.ok(r1.files.includes('pkg/ledger.ts'));
    assert.ok(r1.context.leftOut.count > 0);
    assert.ok(r1.promptTokens + 64 <= r1.window.window);
    const r2 = await chat.ask({ question: 'what does fn7 return?' });
    assert.deepEqual(r2.files.slice(0, r1.files.length), r1.files, 'the pinned block is reused');
    assert.ok(r2.cachedTokens >= r1.context.tokens);
    // ... and excerpts relevant to the new question ride in this turn's message, after the cached prefix.
    assert.ok(!r1.files.includes('pkg/f7.ts') && r2.files.includes('pkg/f7.ts'));
    const p2 = model.tokenizer.decode(model.calls[1]!.input);
    assert.ok(p2.indexOf('Additional excerpts for this question:\n### pkg/f7.ts') > p2.indexOf('<user>where is reconcileLedger?'));
    assert.ok(r2.promptTokens <= r2.window.window - 64);
    assert.equal(chat.history[1]!.user, 'what does fn7 return?', 'history keeps the bare question');
    const r3 = await chat.ask({ question: 'what does fn7 return?', refreshContext: true });
    assert.ok(r3.files.includes('pkg/f7.ts'));
  });

  it('applies a changed group size on the next request without a new session', async () => {
    const model = new FakeModel(512, 8192);
    let s = settings({}, { groupSize: 4, neighborWindow: 128 });
    const chat = new ChatSession({ model, source: null, settings: () => s });
    await chat.ask({ question: 'hi' });
    s = settings({}, { groupSize: 8, neighborWindow: 64 });
    const r = await chat.ask({ question: 'again' });
    assert.deepEqual(model.calls[0]!.opts.selfExtend, { groupSize: 4, neighborWindow: 128 });
    assert.deepEqual(model.calls[1]!.opts.selfExtend, { groupSize: 8, neighborWindow: 64 });
    assert.equal(r.window.reachable, (512 - 64) * 8 + 64);
  });

  it('drops the oldest turns when the history outgrows the window', async () => {
    const model = new FakeModel(512, 8192);
    model.answer = () => 'x'.repeat(60);
    const s = settings({ maxNewTokens: 64 }, { enabled: false });
    const chat = new ChatSession({ model, source: null, settings: () => s });
    let last = null;
    for (let i = 0; i < 6; i++) last = await chat.ask({ question: `question number ${i} ${'pad '.repeat(10)}` });
    assert.ok(last!.droppedTurns > 0);
    assert.ok(last!.promptTokens <= 512 - 64);
  });

  it('stops generation on abort (partial answer, finishReason aborted) and cancels gathering', async () => {
    const model = new FakeModel(512, 8192);
    model.answer = () => 'y'.repeat(200);
    model.stepMs = 2;
    const chat = new ChatSession({ model, source: null, settings: () => settings({ maxNewTokens: 256 }) });
    const ac = new AbortController();
    const r = await chat.ask({ question: 'long', signal: ac.signal, onToken: () => ac.abort() });
    assert.equal(r.finishReason, 'aborted');
    assert.ok(r.answer.length < 200);
    const root = mk({ 'a.ts': 'x' });
    const ac2 = new AbortController();
    ac2.abort();
    const chat2 = new ChatSession({ model, source: new NodeFileSource(root), settings: () => settings() });
    await assert.rejects(chat2.ask({ question: 'q', signal: ac2.signal }), (e: Error) => e.name === 'AbortError');
    // The model is still usable afterwards.
    model.stepMs = 0;
    model.answer = () => 'fine';
    const ok = await chat2.ask({ question: 'q' });
    assert.equal(ok.finishReason, 'stop-token');
  });

  it('queues concurrent requests on one model instead of interleaving them', async () => {
    const model = new FakeModel(512, 8192);
    model.stepMs = 1;
    const queue = new RequestQueue();
    const a = new ChatSession({ model, source: null, settings: () => settings(), queue });
    const b = new ChatSession({ model, source: null, settings: () => settings(), queue });
    const [ra, rb] = await Promise.all([a.ask({ question: 'one' }), b.ask({ question: 'two' })]);
    assert.equal(model.maxActive, 1);
    assert.ok(ra.answer && rb.answer);
  });

  it('puts the selection in the question message, not in the stable prefix', async () => {
    const model = new FakeModel(512, 8192);
    const chat = new ChatSession({ model, source: null, settings: () => settings() });
    await chat.ask({ question: 'explain', selection: { label: 'a.ts lines 1-2', text: 'let x = 1;' } });
    const p = model.tokenizer.decode(model.calls[0]!.input);
    assert.ok(p.indexOf('<user>Selected code (a.ts lines 1-2)') > p.indexOf('<system>'));
  });
});

describe('extension/core/chat: summarize', () => {
  it('summarizes text that fits in one request', async () => {
    const model = new FakeModel(512, 8192);
    model.answer = () => 'A short summary.';
    const r = await summarizeText(model, settings(), { text: 'const a = 1;\n', label: 'a.ts', relPath: 'a.ts' });
    assert.equal(r.summary, 'A short summary.');
    assert.equal(r.requests, 1);
    assert.equal(r.levels, 0);
    assert.match(model.tokenizer.decode(model.calls[0]!.input), /```typescript\nconst a = 1;\n```/);
  });

  it('falls back to hierarchical chunk summaries for text longer than the window, with progress', async () => {
    const model = new FakeModel(1024, 8192);
    let n = 0;
    model.answer = () => `summary ${n++}`;
    const s = settings({ maxNewTokens: 40 }, { enabled: false });
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} of the long file`).join('\n');
    const progress: string[] = [];
    const streamed: string[] = [];
    const r = await summarizeText(model, s, { text, label: 'long.txt', onProgress: (p) => progress.push(p.stage), onToken: (t) => streamed.push(t) });
    assert.ok(r.levels >= 1);
    assert.ok(r.requests > 2);
    assert.ok(progress.includes('part') && progress.includes('final'));
    assert.equal(streamed.join(''), r.summary, 'only the final summary streams');
    for (const c of model.calls) assert.ok(c.input.length <= 1024, `request of ${c.input.length} tokens exceeds the window`);
    const last = model.tokenizer.decode(model.calls[model.calls.length - 1]!.input);
    assert.match(last, /summaries of consecutive parts/);
  });

  it('splitByTokens keeps every line and respects the limit', () => {
    const count = (x: string): number => x.length;
    const text = ['aaaa', 'bbbbbbbb', 'c'.repeat(50), 'dd'].join('\n');
    const parts = splitByTokens(text, 20, count);
    for (const p of parts) assert.ok(count(p.text) <= 20);
    assert.match(parts[1]!.text, /^c+ …\ndd$/, 'an over-long line is cut, the rest kept');
    assert.deepEqual(parts.map((p) => [p.startLine, p.endLine]), [[1, 2], [3, 4]]);
  });
});
