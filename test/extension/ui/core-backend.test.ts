import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreBackend, coreTurns, finishKind, meterFor } from '../../../extension/vscode/core-backend';
import { ModelManager } from '../../../extension/vscode/model-manager';
import { toAssistantSettings, readSettings } from '../../../extension/vscode/settings-schema';
import { NodeFileSource } from '../../../extension/core/workspace/node-file-source';
import { resolveWindow } from '../../../extension/core/chat/window';
import type { AnswerContext } from '../../../extension/vscode/answer-backend';
import type { EngineApi, GenerateChunk, GenerateOptions, Model } from '../../../gpu/engine/types';
import type { ExtensionMessage, ProgressPhase } from '../../../extension/protocol';
import { ChatController } from '../../../extension/vscode/chat-controller';

/** A character-level stand-in for the engine: enough for the adapter's plumbing, no GPU. */
function fakeModel(reply: string, seen: GenerateOptions[]): Model {
  const encode = (t: string): number[] => [...t].map((c) => c.charCodeAt(0) % 256);
  const tokenizer = { kind: 'spm', vocabSize: 256, bosId: null, eosId: null, stopIds: new Set<number>(), addBosDefault: false, encode, decode: (ids: readonly number[]) => String.fromCharCode(...ids), createStreamDecoder: () => ({ push: (id: number) => String.fromCharCode(id), flush: () => '' }), tokenText: (id: number) => String.fromCharCode(id), isSpecial: () => false };
  return {
    path: '/m/fake.gguf',
    config: { architecture: 'llama', name: 'fake', contextLength: 2048, hasChatTemplate: false } as Model['config'],
    tokenizer: tokenizer as unknown as Model['tokenizer'],
    device: {} as Model['device'],
    maxContext: 32768,
    async *generate(input: string | readonly number[], opts: GenerateOptions = {}): AsyncGenerator<GenerateChunk, void, undefined> {
      seen.push(opts);
      const promptTokens = typeof input === 'string' ? input.length : input.length;
      const timings = { prefillMs: 1, ttftMs: 2, decodeMs: 3, prefillTps: 100, decodeTps: 50 };
      let i = 0;
      for (const ch of reply) {
        if (opts.signal?.aborted) { yield { text: '', ids: [], promptTokens, cachedTokens: 0, generatedTokens: i, finishReason: 'aborted', timings }; return; }
        i++;
        yield { text: ch, ids: [ch.charCodeAt(0)], promptTokens, cachedTokens: 0, generatedTokens: i, timings, ...(i === reply.length ? { finishReason: 'stop-token' as const } : {}) };
      }
    },
    logits: async () => [],
    encodeChat: () => [],
    cachedTokens: () => [],
    clearCache: () => undefined,
    dispose: () => undefined,
  };
}

describe('extension/vscode CoreBackend (with a fake engine)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'se-backend-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'pricing.js'), 'export function price(x) { return x * 2; }\n');
    await writeFile(join(dir, 'README.md'), '# Shop\nPricing lives in src/pricing.js\n');
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  function setup(raw: Record<string, unknown>, reply = 'It doubles.') {
    const seen: GenerateOptions[] = [];
    const engine: EngineApi = { load: async () => fakeModel(reply, seen) };
    const settings = () => toAssistantSettings(readSettings((k) => raw[k]));
    const models = new ModelManager(engine, () => ({ path: settings().modelPath, powerPreference: 'high-performance' }));
    const logs: string[] = [];
    const backend = new CoreBackend({ models, settings, source: () => new NodeFileSource(dir), editor: () => undefined, log: (l) => logs.push(l) });
    return { backend, seen, logs };
  }

  function events() {
    const contexts: AnswerContext[] = [];
    const phases: ProgressPhase[] = [];
    let text = '';
    return { contexts, phases, get text() { return text; }, ev: { progress: (p: ProgressPhase) => void phases.push(p), context: (c: AnswerContext) => void contexts.push(c), token: (t: string) => { text += t; } } };
  }

  it('answers with the workspace files as chips and the G/W of the current settings', async () => {
    const raw: Record<string, unknown> = { modelPath: '/m/fake.gguf', groupSize: 4, neighborWindow: 512 };
    const { backend, seen } = setup(raw);
    const e = events();
    const res = await backend.answer({ kind: 'ask', chatId: 'c1', question: 'How is the price computed?', history: [], signal: new AbortController().signal }, e.ev);
    assert.equal(e.text, 'It doubles.');
    assert.equal(res.finish, 'done');
    const ctx = e.contexts.at(-1)!;
    assert.deepEqual(ctx.chips.map((c) => c.path).sort(), ['README.md', 'src/pricing.js']);
    assert.deepEqual([ctx.meter.group, ctx.meter.neighbor, ctx.meter.trained], [4, 512, 2048]);
    assert.deepEqual(seen[0]?.selfExtend, { groupSize: 4, neighborWindow: 512 });
    assert.ok(e.phases.includes('loading-model') && e.phases.includes('reading-repository'));
    // A settings change applies to the next request, without a reload.
    raw.groupSize = 8;
    const e2 = events();
    await backend.answer({ kind: 'ask', chatId: 'c1', question: 'And again?', history: [{ role: 'user', content: 'How is the price computed?' }, { role: 'assistant', content: 'It doubles.' }], signal: new AbortController().signal }, e2.ev);
    assert.equal(e2.contexts.at(-1)?.meter.group, 8);
    assert.deepEqual(seen[1]?.selfExtend, { groupSize: 8, neighborWindow: 512 });
  });

  it('reports chips and the meter as soon as the prompt is built, before the first token', async () => {
    const { backend, seen } = setup({ modelPath: '/m/fake.gguf', groupSize: 4, neighborWindow: 512 }, 'Yes.');
    const order: string[] = [];
    const contexts: AnswerContext[] = [];
    await backend.answer({ kind: 'ask', chatId: 'c9', question: 'Where is pricing?', history: [], signal: new AbortController().signal }, {
      progress: () => undefined,
      context: (c) => { order.push(`context:${seen.length}`); contexts.push(c); },
      token: () => order.push('token'),
    });
    assert.equal(order[0], 'context:0', 'context before generation started');
    assert.deepEqual(contexts[0]?.chips.map((c) => c.path).sort(), ['README.md', 'src/pricing.js']);
    assert.ok((contexts[0]?.meter.usedTokens ?? 0) > 0);
    assert.equal(contexts[0]?.meter.group, 4);
  });

  it('the chat controller shows the chips in answerStart, ahead of every streamed token', async () => {
    const { backend } = setup({ modelPath: '/m/fake.gguf' }, 'Yes.');
    const store = { save: async () => undefined, load: async () => undefined, delete: async () => undefined, list: async () => [], latest: async () => undefined };
    const ctrl = new ChatController({ store, backend, hostAction: () => undefined, curatedModels: [], modelStatus: () => ({ phase: 'ready' }), log: () => undefined });
    const msgs: ExtensionMessage[] = [];
    ctrl.attach((m) => msgs.push(m));
    await ctrl.ask('Where is pricing?');
    const first = msgs.findIndex((m) => m.type === 'answerStart' || m.type === 'token');
    const start = msgs[first];
    assert.ok(start && start.type === 'answerStart', 'the answer starts with its context, not a token');
    assert.deepEqual(start.chips.map((c) => c.path).sort(), ['README.md', 'src/pricing.js']);
    assert.ok(start.meter && start.meter.usedTokens > 0);
    assert.ok(msgs.some((m) => m.type === 'token'));
  });

  it('summarizes with the file as the chip, reported before any token', async () => {
    const { backend } = setup({ modelPath: '/m/fake.gguf' }, 'Doubles prices.');
    const e = events();
    const order: string[] = [];
    await backend.answer({ kind: 'summarize', chatId: 'c2', label: 'src/pricing.js', text: 'export function price(x) { return x * 2; }', signal: new AbortController().signal }, {
      progress: () => undefined,
      context: (c) => { order.push('context'); e.ev.context(c); },
      token: (t) => { order.push('token'); e.ev.token(t); },
    });
    assert.equal(order[0], 'context');
    assert.deepEqual(e.contexts[0]?.chips, [{ path: 'src/pricing.js', partial: false }]);
    assert.equal(e.text, 'Doubles prices.');
  });

  it('stops when the signal aborts and reports it as stopped', async () => {
    const { backend } = setup({ modelPath: '/m/fake.gguf' }, 'x'.repeat(200));
    const ac = new AbortController();
    let n = 0;
    const res = await backend.answer({ kind: 'ask', chatId: 'c3', question: 'q', history: [], signal: ac.signal }, {
      progress: () => undefined, context: () => undefined, token: () => { if (++n === 5) ac.abort(); },
    });
    assert.equal(res.finish, 'stopped');
    assert.ok(n < 200);
  });

  it('fails with the unconfigured-model error when no path is set, and an invalid G/W fails before generating', async () => {
    const a = setup({});
    await assert.rejects(a.backend.answer({ kind: 'ask', chatId: 'c', question: 'q', history: [], signal: new AbortController().signal }, events().ev), { name: 'ModelNotConfiguredError' });
    const b = setup({ modelPath: '/m/fake.gguf', groupSize: 3, neighborWindow: 512 });
    await assert.rejects(b.backend.answer({ kind: 'ask', chatId: 'c', question: 'q', history: [], signal: new AbortController().signal }, events().ev), /multiple|group|W/i);
    assert.equal(b.seen.length, 0);
  });

  it('serves plain chat completions for the language-model provider', async () => {
    const { backend } = setup({ modelPath: '/m/fake.gguf' }, 'hi');
    const e = events();
    const res = await backend.answer({ kind: 'chat', messages: [{ role: 'user', content: 'hello' }], signal: new AbortController().signal }, e.ev);
    assert.equal(e.text, 'hi');
    assert.equal(res.finish, 'done');
    assert.equal(backend.modelInfo()?.name, 'fake.gguf');
    assert.ok(backend.countTokens('abcd') === 4);
  });
});

describe('extension/vscode core-backend helpers', () => {
  it('maps finish reasons, builds the meter and rebuilds history turns', () => {
    assert.equal(finishKind('aborted'), 'stopped');
    assert.equal(finishKind('stop-string'), 'done');
    assert.equal(finishKind('context-full'), 'context-full');
    const w = resolveWindow({ enabled: true, groupSize: 4, neighborWindow: 512, targetContext: 8192 }, 2048, 1 << 20);
    assert.deepEqual(meterFor(w, 100, true), { usedTokens: 100, windowTokens: w.window, group: 4, neighbor: 512, trained: 2048, selfExtendEnabled: true });
    assert.equal(coreTurns([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'dangling' }]).length, 1);
  });
});
