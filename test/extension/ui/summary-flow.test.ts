// A long summary through the real host pieces (ChatController → CoreBackend → summarizeText) with the
// fake model: its own chat titled with the file, one 'summarizing' progress that never goes back (no
// flipping to "Reading prompt"), part summaries streamed before the final summary, Stop keeping the
// finished parts with honest figures, and the warning before a summary of many parts.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreBackend } from '../../../extension/vscode/core-backend';
import { ChatController } from '../../../extension/vscode/chat-controller';
import { HistoryStore } from '../../../extension/vscode/history-store';
import { ModelManager } from '../../../extension/vscode/model-manager';
import { readSettings, toAssistantSettings } from '../../../extension/vscode/settings-schema';
import type { LargeSummaryPlan } from '../../../extension/vscode/answer-backend';
import type { ExtensionMessage } from '../../../extension/protocol';
import type { EngineApi } from '../../../gpu/engine/types';
import { FakeModel } from '../core/fake-model';

/** ~30 tokens a line with the fake model's one-token-per-character tokenizer. */
const text = (lines: number): string => Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(5, '0')} of the long file`).join('\n');

describe('extension/vscode: long summaries in the chat', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-summary-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  function setup(stepMs = 0) {
    const model = new FakeModel(1024, 8192);
    model.answer = (input) => (input.length > 900 ? 'a part summary' : 'The final summary.');
    model.stepMs = stepMs;
    const engine: EngineApi = { load: async () => model };
    // Plain attention in a 1024-token window: the text needs several parts.
    const raw: Record<string, unknown> = { modelPath: '/m/fake.gguf', enabled: false, maxNewTokens: 200 };
    const settings = () => toAssistantSettings(readSettings((k) => raw[k]));
    const models = new ModelManager(engine, () => ({ path: settings().modelPath, powerPreference: 'high-performance' }));
    const backend = new CoreBackend({ models, settings, source: () => null, editor: () => undefined, log: () => undefined });
    const store = new HistoryStore(dir);
    const ctrl = new ChatController({ store, backend, hostAction: () => undefined, curatedModels: [], modelStatus: () => ({ phase: 'ready' }), log: () => undefined });
    const msgs: ExtensionMessage[] = [];
    ctrl.attach((m) => msgs.push(m));
    return { ctrl, msgs, store, model };
  }

  it('runs in its own chat titled with the file; parts stream before the final summary; progress never goes back', async () => {
    const { ctrl, msgs, store } = setup();
    await ctrl.ask('hello'); // an existing conversation the summary must not be appended to
    const first = ctrl.chatId;
    msgs.length = 0;
    await ctrl.summarize('src/big.ts', text(300));
    assert.notEqual(ctrl.chatId, first, 'a new chat');
    const saved = await store.load(ctrl.chatId);
    assert.equal(saved?.title, 'Summary: src/big.ts');
    const answer = saved!.turns.at(-1)!;
    assert.ok((answer.parts?.length ?? 0) > 1 && answer.text === 'The final summary.');
    assert.deepEqual(answer.timings?.summaryParts, { done: answer.parts!.length, total: answer.parts!.length });
    assert.ok(answer.timings!.promptTokens > 300 * 28 && answer.timings!.generatedTokens > 0);

    const partAt = msgs.flatMap((m, i) => (m.type === 'summaryPart' ? [i] : []));
    const tokenAt = msgs.findIndex((m) => m.type === 'token');
    assert.equal(partAt.length, answer.parts!.length);
    assert.ok(tokenAt > partAt.at(-1)!, 'every part before the first token of the final summary');
    const progress = msgs.flatMap((m) => (m.type === 'progress' && m.phase !== 'idle' && m.phase !== 'loading-model' ? [m] : []));
    assert.ok(progress.length > 0 && progress.every((p) => p.phase === 'summarizing'), `phases: ${[...new Set(progress.map((p) => p.phase))].join(', ')}`);
    for (let i = 1; i < progress.length; i++) assert.ok((progress[i]!.fraction ?? 0) >= (progress[i - 1]!.fraction ?? 0), 'progress went back');
    assert.match(progress.find((p) => p.detail?.includes('part'))?.detail ?? '', /^part \d+ of \d+/);
  });

  it('Stop keeps the finished part summaries and reports figures over the requests that ran', async () => {
    const { ctrl, msgs, store } = setup(1);
    let parts = 0;
    ctrl.attach((m) => {
      if (m.type === 'summaryPart' && ++parts === 2) setTimeout(() => ctrl.stop(), 2);
    });
    await ctrl.summarize('src/big.ts', text(300));
    const end = msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end && end.type === 'answerEnd');
    assert.equal(end.finish, 'stopped');
    const saved = (await store.load(ctrl.chatId))!.turns.at(-1)!;
    assert.equal(saved.parts?.length, 2, 'the two finished parts are kept (and saved)');
    const t = end.timings;
    assert.ok(t.promptTokens > 0 && t.generatedTokens > 0 && t.ttftMs > 0 && t.decodeTps > 0, JSON.stringify(t));
    assert.equal(t.summaryParts?.done, 2);
    assert.ok((t.summaryParts?.total ?? 0) > 2);
  });

  it('asks before a summary of more than 20 parts; declining says why and runs nothing', async () => {
    const { ctrl, msgs, model } = setup();
    const asked: LargeSummaryPlan[] = [];
    await ctrl.summarize('package-lock.json', text(1000), undefined, async (plan) => {
      asked.push(plan);
      return false;
    });
    assert.equal(asked.length, 1);
    assert.ok(asked[0]!.parts > 20);
    assert.equal(model.calls.length, 0);
    const end = msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end && end.type === 'answerEnd' && end.finish === 'stopped');
    const said = msgs.flatMap((m) => (m.type === 'token' ? [m.delta] : [])).join('');
    assert.match(said, /^Not summarized: package-lock\.json is [\d,]+ tokens, \d+ parts/);
  });
});
