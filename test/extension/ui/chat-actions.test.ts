// Issue 14: actions on answers and questions (Regenerate, Retry, Edit & resend, Copy), attached
// context reaching the request, failed first requests kept out of history, stale model errors
// cleared once a model is chosen, and the helpers behind @-mentions, attachments and downloads.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatController, type HostAction } from '../../../extension/vscode/chat-controller';
import type { AnswerBackend, AnswerEvents, AnswerRequest, AnswerResult } from '../../../extension/vscode/answer-backend';
import { HistoryStore } from '../../../extension/vscode/history-store';
import { ModelNotConfiguredError, describeError } from '../../../extension/vscode/error-actions';
import { resolveAttachments } from '../../../extension/vscode/attachments';
import { rankPaths } from '../../../extension/vscode/file-suggestions';
import { downloadFailure, noteWithoutSize } from '../../../extension/vscode/download-text';
import { e2eDownloadUrl } from '../../../extension/vscode/e2e-markers';
import { parseWebviewMessage, ProtocolError, type ExtensionMessage } from '../../../extension/protocol';
import { GGUFError } from '../../../gpu/gguf/errors';
import { MODEL_CATALOG } from '../../../extension/core/models';

const meter = { usedTokens: 100, windowTokens: 6656, group: 4, neighbor: 512, trained: 2048, selfExtendEnabled: true };
const timings = { promptTokens: 100, cachedTokens: 0, generatedTokens: 3, ttftMs: 5, decodeTps: 10, totalMs: 20 };

class ScriptedBackend implements AnswerBackend {
  requests: AnswerRequest[] = [];
  /** One entry per request: the answer text, or an error to throw. */
  constructor(private readonly script: (string | Error)[]) {}
  modelInfo() { return undefined; }
  countTokens(text: string) { return text.length; }
  async answer(req: AnswerRequest, ev: AnswerEvents): Promise<AnswerResult> {
    this.requests.push(req);
    const step = this.script[this.requests.length - 1] ?? 'ok';
    if (step instanceof Error) throw step;
    ev.context({ chips: [{ path: 'src/a.ts' }], meter, omittedFiles: 3, leftOut: ['src/b.ts', 'src/c.ts'] });
    ev.token(step);
    return { timings, finish: 'done' };
  }
}

describe('extension/vscode chat actions (issue 14)', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-actions-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  function make(backend: AnswerBackend, actions: HostAction[] = []) {
    const msgs: ExtensionMessage[] = [];
    const logs: string[] = [];
    const ctrl = new ChatController({
      store: new HistoryStore(dir), backend, curatedModels: [], modelStatus: () => ({ phase: 'ready', name: 'm.gguf' }),
      hostAction: (a) => void actions.push(a), log: (l) => logs.push(l),
      resolveAttachments: (atts) => resolveAttachments(atts, { maxBytes: 1000, countTokens: (t) => t.length, read: async (p) => (p === 'src/p.js' ? 'l1\nl2\nl3\nl4\n' : 'whole file') }, new AbortController().signal),
    });
    ctrl.attach((m) => msgs.push(m));
    return { ctrl, msgs, logs };
  }

  it('Regenerate asks the same question again in place of the answer', async () => {
    const backend = new ScriptedBackend(['first', 'second']);
    const { ctrl } = make(backend);
    await ctrl.handle({ type: 'ask', text: 'Why?' });
    const answerId = (await ctrl.viewState()).turns[1]!.id;
    await ctrl.handle({ type: 'regenerate', turnId: answerId });
    const turns = (await ctrl.viewState()).turns;
    assert.deepEqual(turns.map((t) => [t.role, t.text]), [['user', 'Why?'], ['assistant', 'second']]);
    assert.equal(backend.requests.length, 2);
    assert.equal(backend.requests[1]!.kind === 'ask' && backend.requests[1]!.history.length, 0, 'the replaced answer is not in the history');
  });

  it('Retry after an error re-asks the failed question, and a failed first request is not saved', async () => {
    const backend = new ScriptedBackend([new ModelNotConfiguredError(), 'works now']);
    const { ctrl, msgs } = make(backend);
    await ctrl.handle({ type: 'ask', text: 'Hello?' });
    assert.equal((await new HistoryStore(dir).list()).length, 0, 'no history entry for a chat whose only request failed');
    const errors = msgs.filter((m) => m.type === 'error');
    assert.equal(errors.length, 1, 'the error is sent once');
    const failed = (await ctrl.viewState()).turns[1]!;
    assert.ok(failed.error);
    await ctrl.handle({ type: 'regenerate', turnId: failed.id });
    const turns = (await ctrl.viewState()).turns;
    assert.deepEqual(turns.map((t) => [t.role, t.text, t.error]), [['user', 'Hello?', undefined], ['assistant', 'works now', undefined]]);
    assert.equal((await new HistoryStore(dir).list()).length, 1, 'saved once it worked');
  });

  it('Edit & resend replaces the edited question and everything after it', async () => {
    const backend = new ScriptedBackend(['a1', 'a2', 'a3']);
    const { ctrl } = make(backend);
    await ctrl.ask('q1');
    await ctrl.ask('q2');
    const q1 = (await ctrl.viewState()).turns[0]!.id;
    await ctrl.handle({ type: 'ask', text: 'q1 edited', replaceFrom: q1 });
    assert.deepEqual((await ctrl.viewState()).turns.map((t) => t.text), ['q1 edited', 'a3']);
    await assert.doesNotReject(ctrl.handle({ type: 'ask', text: 'x', replaceFrom: 'u-gone' }));
  });

  it('Copy answer hands the answer text to the host clipboard action', async () => {
    const actions: HostAction[] = [];
    const { ctrl } = make(new ScriptedBackend(['**markdown** answer']), actions);
    await ctrl.ask('q');
    await ctrl.handle({ type: 'copyAnswer', turnId: (await ctrl.viewState()).turns[1]!.id });
    assert.deepEqual(actions, [{ type: 'copyCode', code: '**markdown** answer' }]);
  });

  it('attached files and selections reach the request as pinned context and show as pinned chips', async () => {
    const backend = new ScriptedBackend(['ok']);
    const { ctrl, msgs, logs } = make(backend);
    await ctrl.handle({ type: 'ask', text: 'Explain @src/p.js', attachments: [{ kind: 'selection', path: 'src/p.js', startLine: 2, endLine: 3 }, { kind: 'file', path: 'src/q.ts' }] });
    const req = backend.requests[0]!;
    assert.ok(req.kind === 'ask' && req.pinned);
    assert.match(req.pinned.text, /--- src\/p\.js lines 2–3 ---\nl2\nl3/);
    assert.match(req.pinned.text, /--- src\/q\.ts ---\nwhole file/);
    assert.ok(logs.some((l) => /pinned context: src\/p\.js lines 2–3, src\/q\.ts/.test(l)), logs.join('\n'));
    const start = msgs.find((m) => m.type === 'answerStart');
    assert.ok(start?.type === 'answerStart');
    assert.deepEqual(start.chips.map((c) => [c.path, c.pinned ?? false]), [['src/p.js', true], ['src/q.ts', true], ['src/a.ts', false]]);
    assert.deepEqual(start.leftOut, ['src/b.ts', 'src/c.ts']);
    const user = (await ctrl.viewState()).turns[0]!;
    assert.equal(user.attachments?.length, 2, 'kept on the question for Edit/Regenerate');
  });

  it('a chosen model clears exchanges that failed for want of one', async () => {
    const backend = new ScriptedBackend(['fine', new ModelNotConfiguredError()]);
    const { ctrl } = make(backend);
    await ctrl.ask('good question');
    await ctrl.ask('then failed');
    assert.equal((await ctrl.viewState()).turns.length, 4);
    await ctrl.modelChanged();
    assert.deepEqual((await ctrl.viewState()).turns.map((t) => t.text), ['good question', 'fine']);
  });

  it('refuses to ask while busy with a message instead of silently', async () => {
    let release!: () => void;
    const slow: AnswerBackend = {
      modelInfo: () => undefined, countTokens: (t) => t.length,
      answer: async (_r, ev) => { ev.token('x'); await new Promise<void>((r) => (release = r)); return { timings, finish: 'done' }; },
    };
    const { ctrl, msgs } = make(slow);
    const first = ctrl.ask('one');
    await new Promise((r) => setTimeout(r, 10));
    await ctrl.handle({ type: 'ask', text: 'two' });
    assert.ok(msgs.some((m) => m.type === 'error' && /still being generated/.test(m.message)));
    release();
    await first;
  });
});

describe('extension/protocol attachments and new messages', () => {
  it('accepts valid attachments, regenerate/copyAnswer/suggestFiles, and rejects hostile ones', () => {
    const ok = parseWebviewMessage({ type: 'ask', text: 'q', attachments: [{ kind: 'file', path: 'a/b.ts', extra: 1 }, { kind: 'selection', path: 'c.ts', startLine: 1, endLine: 2 }], replaceFrom: 'u1' });
    assert.deepEqual(ok, { type: 'ask', text: 'q', attachments: [{ kind: 'file', path: 'a/b.ts' }, { kind: 'selection', path: 'c.ts', startLine: 1, endLine: 2 }], replaceFrom: 'u1' });
    assert.deepEqual(parseWebviewMessage({ type: 'regenerate', turnId: 'a1' }), { type: 'regenerate', turnId: 'a1' });
    assert.deepEqual(parseWebviewMessage({ type: 'suggestFiles', query: '' }), { type: 'suggestFiles', query: '' });
    for (const bad of [
      { type: 'ask', text: 'q', attachments: [{ kind: 'file', path: '../etc/passwd' }] },
      { type: 'ask', text: 'q', attachments: [{ kind: 'file', path: '/etc/passwd' }] },
      { type: 'ask', text: 'q', attachments: [{ kind: 'selection', path: 'a', startLine: 5, endLine: 2 }] },
      { type: 'ask', text: 'q', attachments: [{ kind: 'selection', path: 'a', startLine: 0.5, endLine: 2 }] },
      { type: 'ask', text: 'q', attachments: [{ kind: 'dir', path: 'a' }] },
      { type: 'ask', text: 'q', attachments: Array.from({ length: 33 }, () => ({ kind: 'file', path: 'a' })) },
      { type: 'ask', text: 'q', replaceFrom: '../x' },
      { type: 'regenerate', turnId: 'a b' },
      { type: 'suggestFiles', query: 'x'.repeat(300) },
    ]) {
      assert.ok(parseWebviewMessage(bad) instanceof ProtocolError, JSON.stringify(bad).slice(0, 80));
    }
  });
});

describe('extension/vscode helpers for explicit context and downloads', () => {
  it('rankPaths puts file-name prefix matches first', () => {
    assert.deepEqual(rankPaths(['src/deep/pricing.js', 'docs/pricing-notes.md', 'src/inventory.py', 'lib/repricing.ts'], 'pric'), ['src/deep/pricing.js', 'docs/pricing-notes.md', 'lib/repricing.ts']);
    assert.equal(rankPaths(Array.from({ length: 100 }, (_, i) => `f${i}.ts`), '').length, 50);
  });

  it('resolveAttachments refuses selections past the end and oversized files, and keeps names on one line', async () => {
    const reader = { maxBytes: 5, countTokens: (t: string) => t.length, read: async () => 'a\nb' };
    const signal = new AbortController().signal;
    await assert.rejects(resolveAttachments([{ kind: 'selection', path: 'x', startLine: 9, endLine: 9 }], reader, signal), /only 2 lines/);
    await assert.rejects(resolveAttachments([{ kind: 'file', path: 'x' }], { ...reader, read: async () => 'too long' }, signal), /maxFileSize/);
    const r = await resolveAttachments([{ kind: 'file', path: 'a\nIgnore previous.md' }], reader, signal);
    assert.ok(!r.pinned!.label.includes('\n') && r.pinned!.text.startsWith('--- a?Ignore previous.md ---'));
  });

  it('maps errno and byte dumps to plain words and keeps the raw text as detail', () => {
    const offline = describeError(Object.assign(new Error('getaddrinfo EAI_AGAIN huggingface.co'), { code: 'EAI_AGAIN' }));
    assert.match(offline.message, /appear to be offline/);
    assert.match(offline.detail ?? '', /EAI_AGAIN/);
    const refused = downloadFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    assert.ok(refused.offline && /offline/.test(refused.message) && !/ECONNREFUSED|127\.0\.0\.1/.test(refused.message));
    const wrapped = downloadFailure(new Error('Download of https://huggingface.co/x/y.gguf failed after 5 retries: getaddrinfo EAI_AGAIN huggingface.co. Run the download again'));
    assert.ok(wrapped.offline && !/https?:/.test(wrapped.message));
    const missing = describeError(Object.assign(new Error("ENOENT: no such file or directory, open '/m/x.gguf'"), { code: 'ENOENT', path: '/m/x.gguf' }));
    assert.equal(missing.message, 'The model file /m/x.gguf does not exist.');
    const wrapped2 = describeError(new GGUFError('truncated', "cannot open /m/y.gguf: ENOENT: no such file or directory, open '/m/y.gguf'"));
    assert.equal(wrapped2.message, 'The model file /m/y.gguf does not exist.');
    const magic = describeError(new GGUFError('bad-magic', 'x.gguf is not a GGUF file (starts with 23 20 53 65, expected "GGUF")'));
    assert.ok(!/23 20 53 65/.test(magic.message) && /not a GGUF model file/.test(magic.message));
  });

  it('shows each catalog size once, and sends e2e downloads only to this machine', () => {
    // The file size goes (the view shows it from the byte count); GPU memory figures stay.
    for (const m of MODEL_CATALOG) assert.ok(!/\d\s*GiB file|; \d+(\.\d+)? GiB[,.;]/.test(noteWithoutSize(m.detail)), noteWithoutSize(m.detail));
    assert.equal(noteWithoutSize('Best default for code questions; 1.04 GiB file, 32K trained window; about 1.65 GiB of GPU memory at a 16K-token context.'), 'Best default for code questions, 32K trained window; about 1.65 GiB of GPU memory at a 16K-token context.');
    assert.equal(noteWithoutSize('Small and quick; 0.98 GiB, 8K trained window.'), 'Small and quick, 8K trained window.');
    assert.equal(e2eDownloadUrl('m.gguf', { E2E_DOWNLOAD_BASE: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9/m.gguf');
    assert.equal(e2eDownloadUrl('m.gguf', { E2E_DOWNLOAD_BASE: 'https://example.com/' }), undefined);
    assert.equal(e2eDownloadUrl('m.gguf', {}), undefined);
  });
});
