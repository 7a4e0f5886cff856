import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatController, type CompletedAnswer, type HostAction } from '../../../extension/vscode/chat-controller';
import type { AnswerBackend, AnswerEvents, AnswerRequest, AnswerResult } from '../../../extension/vscode/answer-backend';
import { HistoryStore } from '../../../extension/vscode/history-store';
import { ModelNotConfiguredError } from '../../../extension/vscode/error-actions';
import type { ExtensionMessage } from '../../../extension/protocol';

const meter = { usedTokens: 100, windowTokens: 6656, group: 4, neighbor: 512, trained: 2048, selfExtendEnabled: true };
const timings = { promptTokens: 100, cachedTokens: 0, generatedTokens: 3, ttftMs: 5, decodeTps: 10, totalMs: 20 };

/** Streams the given tokens; if `hang`, waits for abort after the first token like a long generation. */
class FakeBackend implements AnswerBackend {
  requests: AnswerRequest[] = [];
  constructor(private readonly script: { tokens: string[]; hang?: boolean; fail?: Error; promptFallback?: string }) {}
  modelInfo() { return undefined; }
  countTokens(text: string) { return text.length; }
  async answer(req: AnswerRequest, ev: AnswerEvents): Promise<AnswerResult> {
    this.requests.push(req);
    ev.progress('reading-repository', 0.5);
    if (this.script.fail) throw this.script.fail;
    ev.context({ chips: [{ path: 'src/a.ts', tokens: 40 }], meter, omittedFiles: 1 });
    for (const t of this.script.tokens) ev.token(t);
    if (this.script.hang) {
      await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve(), { once: true }));
      return { timings, finish: 'stopped' };
    }
    return { timings, finish: 'done', ...(this.script.promptFallback ? { promptFallback: this.script.promptFallback } : {}) };
  }
}

describe('extension/vscode ChatController', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-ctrl-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  function make(backend: AnswerBackend, extra: { actions?: HostAction[]; done?: CompletedAnswer[] } = {}) {
    const msgs: ExtensionMessage[] = [];
    const ctrl = new ChatController({
      store: new HistoryStore(dir), backend, curatedModels: [], modelStatus: () => ({ phase: 'ready', name: 'm.gguf' }),
      hostAction: (a) => void extra.actions?.push(a), log: () => undefined, onAnswerDone: (a) => void extra.done?.push(a),
    });
    ctrl.attach((m) => msgs.push(m));
    return { ctrl, msgs };
  }

  it("says when the prompt was not in the model's chat format: answerEnd, the saved turn (issue 10 point 4)", async () => {
    const done: CompletedAnswer[] = [];
    const why = 'the model has no chat template; the prompt is a plain "User: / Assistant:" transcript';
    const { ctrl, msgs } = make(new FakeBackend({ tokens: ['ok'], promptFallback: why }), { done });
    await ctrl.handle({ type: 'ask', text: 'q' });
    const end = msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end && end.type === 'answerEnd');
    assert.equal(end.promptFallback, why);
    assert.equal(done[0]?.turn.promptFallback, why);
    const plain = make(new FakeBackend({ tokens: ['ok'] }));
    await plain.ctrl.handle({ type: 'ask', text: 'q' });
    const end2 = plain.msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end2 && end2.type === 'answerEnd' && !('promptFallback' in end2), 'absent when the model\'s own format was used');
  });

  it('streams an answer to the views and persists the chat', async () => {
    const done: CompletedAnswer[] = [];
    const { ctrl, msgs } = make(new FakeBackend({ tokens: ['Hel', 'lo'] }), { done });
    await ctrl.handle({ type: 'ask', text: 'What is a?' });
    const types = msgs.map((m) => m.type);
    assert.deepEqual(types.filter((t) => t !== 'progress'), ['userTurn', 'answerStart', 'token', 'token', 'answerEnd', 'state']);
    const start = msgs.find((m) => m.type === 'answerStart');
    assert.ok(start && start.type === 'answerStart');
    assert.deepEqual(start.chips, [{ path: 'src/a.ts', tokens: 40 }]);
    assert.equal(done.length, 1);
    assert.equal(done[0]?.turn.text, 'Hello');
    assert.equal(done[0]?.turn.meter?.group, 4);
    const saved = await new HistoryStore(dir).load(ctrl.chatId);
    assert.deepEqual(saved?.turns.map((t) => [t.role, t.text]), [['user', 'What is a?'], ['assistant', 'Hello']]);
    assert.equal(saved?.title, 'What is a?');
  });

  it('accepts the context after the first tokens and updates the chips in place', async () => {
    const late: AnswerBackend = {
      modelInfo: () => undefined,
      countTokens: (t) => t.length,
      async answer(_req, ev) {
        ev.token('Hi');
        ev.context({ chips: [{ path: 'b.ts' }], meter, omittedFiles: 0 });
        return { timings, finish: 'done' };
      },
    };
    const done: CompletedAnswer[] = [];
    const { ctrl, msgs } = make(late, { done });
    await ctrl.ask('q');
    assert.deepEqual(msgs.map((m) => m.type).filter((t) => t !== 'progress'), ['userTurn', 'answerStart', 'token', 'answerContext', 'answerEnd', 'state']);
    assert.deepEqual(done[0]?.turn.chips, [{ path: 'b.ts' }]);
  });

  it('passes completed earlier turns as history on a follow-up', async () => {
    const backend = new FakeBackend({ tokens: ['A1'] });
    const { ctrl } = make(backend);
    await ctrl.ask('Q1');
    await ctrl.ask('Q2');
    const second = backend.requests[1];
    assert.ok(second?.kind === 'ask');
    assert.deepEqual(second.history, [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }]);
  });

  it('stop aborts the running answer and the UI returns to idle', async () => {
    const { ctrl, msgs } = make(new FakeBackend({ tokens: ['x'], hang: true }));
    const p = ctrl.handle({ type: 'ask', text: 'long' });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(ctrl.busy, true);
    await ctrl.handle({ type: 'stop' });
    await p;
    assert.equal(ctrl.busy, false);
    const end = msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end && end.type === 'answerEnd' && end.finish === 'stopped');
    const last = msgs.at(-1);
    assert.ok(last?.type === 'state' && last.state.busy === false);
  });

  it('refuses a second question while busy', async () => {
    const { ctrl, msgs } = make(new FakeBackend({ tokens: ['x'], hang: true }));
    const p = ctrl.ask('one');
    await new Promise((r) => setTimeout(r, 5));
    await ctrl.ask('two');
    assert.ok(msgs.some((m) => m.type === 'error' && /still being generated/.test(m.message)));
    ctrl.stop();
    await p;
  });

  it('turns backend failures into an actionable error on the turn, and keeps working', async () => {
    const { ctrl, msgs } = make(new FakeBackend({ tokens: [], fail: new ModelNotConfiguredError() }));
    await ctrl.handle({ type: 'ask', text: 'q' });
    const err = msgs.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error');
    assert.ok(err.turnId);
    assert.deepEqual(err.actions, ['selectModel', 'downloadModel']);
    assert.equal(ctrl.busy, false);
    // The failed turn stays in the view (with Retry); a chat whose only request failed gets no history entry.
    assert.equal((await ctrl.viewState()).turns[1]?.finish, 'error');
    assert.equal(await new HistoryStore(dir).load(ctrl.chatId), undefined);
  });

  it('new chat, restore on a fresh controller (reload), open and delete', async () => {
    const { ctrl } = make(new FakeBackend({ tokens: ['A'] }));
    await ctrl.ask('first chat');
    const firstId = ctrl.chatId;
    await ctrl.handle({ type: 'newChat' });
    assert.notEqual(ctrl.chatId, firstId);
    await ctrl.ask('second chat');
    const secondId = ctrl.chatId;
    const { ctrl: reloaded, msgs } = make(new FakeBackend({ tokens: [] }));
    await reloaded.handle({ type: 'ready' });
    const st = msgs.find((m) => m.type === 'state');
    assert.ok(st && st.type === 'state');
    assert.equal(st.state.chatId, secondId);
    assert.deepEqual(st.state.chats.map((c) => c.id).sort(), [firstId, secondId].sort());
    await reloaded.handle({ type: 'openChat', chatId: firstId });
    assert.equal(reloaded.chatId, firstId);
    await reloaded.handle({ type: 'deleteChat', chatId: firstId });
    assert.notEqual(reloaded.chatId, firstId);
    assert.equal(await new HistoryStore(dir).load(firstId), undefined);
  });

  it('routes host actions and summarize requests', async () => {
    const actions: HostAction[] = [];
    const backend = new FakeBackend({ tokens: ['sum'] });
    const { ctrl } = make(backend, { actions });
    await ctrl.handle({ type: 'insertCode', code: 'x' });
    await ctrl.handle({ type: 'openFile', path: 'src/a.ts' });
    assert.deepEqual(actions, [{ type: 'insertCode', code: 'x' }, { type: 'openFile', path: 'src/a.ts' }]);
    await ctrl.summarize('src/big.ts', 'text', { startLine: 3, endLine: 9 });
    const r = backend.requests[0];
    assert.ok(r?.kind === 'summarize' && r.label === 'src/big.ts' && r.selection?.endLine === 9);
  });
});
