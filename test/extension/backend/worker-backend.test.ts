// The worker-hosted backend (extension/backend): the typed boundary, one entry point for the
// extension and the CLI, and Stop / crash / runaway-template recovery on the real engine in a real
// worker (started from the TypeScript sources through tsx, the way the bundles start dist/backend-worker.js).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { WorkerBackend, type WorkerBackendDeps } from '../../../extension/backend/client';
import { fromWire, toWire, BackendCrashedError, RemoteError } from '../../../extension/backend/errors';
import { ChatTemplateError } from '../../../gpu/tokenizer/template-errors';
import { NonFiniteLogitsError } from '../../../gpu/sampling/errors';
import { DawnNotFoundError, DeviceRequestError, NoAdapterError } from '../../../gpu/device/errors';
import { UnsupportedWeightError, WeightAllocationError } from '../../../gpu/kernels/linear/errors';
import { DeviceLostError, ModelDisposedError, OutOfMemoryError } from '../../../gpu/engine/errors';
import { SelfExtendParamsError } from '../../../gpu/attention/params';
import { GlobLimitError } from '../../../extension/core/workspace/glob';
import { parseToHost, parseToWorker, ProtocolError, type WireRequest } from '../../../extension/backend/protocol';
import { DEFAULT_SETTINGS, normalizeSettings, type AssistantSettings } from '../../../extension/core/chat';
import { NodeFileSource } from '../../../extension/core/workspace';
import { SkipReport } from '../../../extension/core/workspace/skip-report';
import type { FileSource } from '../../../extension/core/workspace/types';
import { CancelledError, isCancellation } from '../../../extension/core/util/abort';
import type { AnswerEvents, AnswerRequest, AnswerResult } from '../../../extension/vscode/answer-backend';
import { GGUFError } from '../../../gpu/gguf/errors';
import { writeSyntheticModel } from '../../../gpu/model/synthetic';
import { meta } from '../../../gpu/gguf/writer';
import { GGMLType } from '../../../gpu/gguf/types';

const MODEL = path.join(process.cwd(), 'assets', 'models', 'passkey-char-128.gguf');

describe('backend boundary: messages and errors', () => {
  it('rejects malformed messages in both directions', () => {
    assert.throws(() => parseToWorker({ type: 'answer', id: -1 }), ProtocolError);
    assert.throws(() => parseToWorker({ type: 'nope' }), ProtocolError);
    assert.throws(() => parseToWorker({ type: 'fileBytes', readId: 1 }), ProtocolError);
    assert.throws(() => parseToHost({ type: 'progress', id: 1, phase: 'warp' }), ProtocolError);
    assert.throws(() => parseToHost({ type: 'failed', id: 1, error: { message: 3 } }), ProtocolError);
    assert.equal(parseToHost({ type: 'token', id: 2, text: 'x' }).type, 'token');
    assert.equal(parseToWorker({ type: 'cancel', id: 2 }).type, 'cancel');
  });

  it('carries a prompt-format fallback across the boundary and rejects a malformed one', () => {
    const done = { type: 'done', id: 1, result: { finish: 'done', timings: {}, promptFallback: 'the model has no chat template' } };
    const m = parseToHost(done);
    assert.equal(m.type === 'done' && m.result.promptFallback, 'the model has no chat template');
    assert.throws(() => parseToHost({ ...done, result: { ...done.result, promptFallback: 3 } }), ProtocolError);
  });

  it('recreates engine errors host-side as the same classes with their fields', () => {
    const wire = (e: Error) => parseToHost({ type: 'failed', id: 1, error: JSON.parse(JSON.stringify(toWire(e))) as unknown });
    const back = (e: Error): Error => {
      const m = wire(e);
      assert.equal(m.type, 'failed');
      return fromWire((m as Extract<typeof m, { type: 'failed' }>).error);
    };
    const t = back(new ChatTemplateError('the template of qwen.gguf took over 2 s', 'qwen.gguf', 'time'));
    assert.ok(t instanceof ChatTemplateError);
    assert.equal(t.name, 'ChatTemplateError');
    assert.equal(t.message, 'the template of qwen.gguf took over 2 s');
    assert.equal(t.templateName, 'qwen.gguf');
    assert.equal(t.limit, 'time');
    const noLimit = back(new ChatTemplateError('parse error', 'x.gguf'));
    assert.ok(noLimit instanceof ChatTemplateError && noLimit.limit === undefined && noLimit.templateName === 'x.gguf');
    const nf = back(new NonFiniteLogitsError());
    assert.ok(nf instanceof NonFiniteLogitsError);
    assert.equal(nf.name, 'NonFiniteLogitsError');
    assert.match(nf.message, /non-finite logits/);
    const wa = back(new WeightAllocationError('no room', 123456789));
    assert.ok(wa instanceof WeightAllocationError && wa.bytesNeeded === 123456789);
    for (const e of [new UnsupportedWeightError('Q2_K'), new NoAdapterError('none'), new DeviceRequestError(new Error('lost')), new DawnNotFoundError(['/x']), new GlobLimitError('too long'),
      new DeviceLostError('reset'), new OutOfMemoryError('oom'), new ModelDisposedError(), new SelfExtendParamsError('W')]) {
      const r = back(e);
      assert.equal(Object.getPrototypeOf(r), Object.getPrototypeOf(e), e.name);
      assert.equal(r.name, e.name);
      assert.equal(r.message, e.message);
    }
    // Unknown classes keep their name and plain fields; fields that are not plain data never cross.
    const odd = Object.assign(new Error('m'), { name: 'WeirdError', status: 404, retry: false, nested: { a: 1 }, fn: () => 1 });
    const r = back(odd) as Error & Record<string, unknown>;
    assert.ok(r instanceof RemoteError);
    assert.deepEqual([r.name, r.status, r.retry, r.nested, r.fn], ['WeirdError', 404, false, undefined, undefined]);
    assert.throws(() => parseToHost({ type: 'failed', id: 1, error: { name: 'E', message: 'm', fields: { a: { b: 1 } } } }), ProtocolError);
    // A field cannot replace the message, name or stack.
    const forged = fromWire({ name: 'ChatTemplateError', message: 'real', fields: { message: 'forged', name: 'X', stack: 's', templateName: 't' } });
    assert.deepEqual([forged.message, forged.name, (forged as ChatTemplateError).templateName], ['real', 'ChatTemplateError', 't']);
  });

  it('recreates the same error classes host-side (name, message, code)', () => {
    const g = fromWire(toWire(new GGUFError('truncated', 'the file ends early')));
    assert.ok(g instanceof GGUFError);
    assert.equal(g.name, 'GGUFError');
    assert.equal((g as GGUFError).code, 'truncated');
    const c = fromWire(toWire(new CancelledError('stopped')));
    assert.ok(c instanceof CancelledError && isCancellation(c));
    const other = fromWire({ name: 'WeirdError', message: 'm' });
    assert.equal(other.name, 'WeirdError');
    assert.equal(other.message, 'm');
  });
});

describe('backend boundary: one entry point for the extension and the CLI', () => {
  async function inputs(entry: string): Promise<string[]> {
    const r = await esbuild.build({
      entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'cjs', logLevel: 'silent',
      loader: { '.wgsl': 'text' }, external: ['vscode', 'node-llama-cpp', 'webgpu', 'esbuild'],
      plugins: [{ name: 'no-packages', setup: (b) => b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true })) }],
    });
    return Object.keys(r.metafile.inputs);
  }
  const ENGINE_SIDE = ['extension/core/chat/chat-session.ts', 'extension/core/chat/summarize.ts', 'extension/core/context/gather.ts', 'gpu/engine/engine.ts', 'gpu/tokenizer/chat-template.ts'];

  for (const entry of ['extension/main.ts', 'cli/commands/ask.ts', 'cli/commands/summarize.ts']) {
    it(`${entry} reaches the backend client and none of the engine-side code`, async () => {
      const got = await inputs(entry);
      assert.ok(got.includes('extension/backend/client.ts'), `${entry} does not use extension/backend/client.ts`);
      assert.deepEqual(ENGINE_SIDE.filter((f) => got.includes(f)), [], `${entry} bypasses the backend worker`);
    });
  }

  it('the worker entry holds the engine, chat sessions, packing and summaries', async () => {
    const got = await inputs('extension/backend/worker-main.ts');
    assert.deepEqual(ENGINE_SIDE.filter((f) => !got.includes(f)), []);
  });
});

/** A source that hangs (until stopped) in listing or reading, to stop a request at that stage; `onStall` says it got there. */
function stallingSource(stage: 'list' | 'read', onStall: () => void): FileSource {
  const waitForAbort = (signal?: AbortSignal): Promise<never> => {
    onStall();
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new CancelledError()), { once: true }));
  };
  return {
    rootLabel: 'stall', skipped: new SkipReport(),
    async *list(opts = {}) {
      if (stage === 'list') await waitForAbort(opts.signal);
      yield { relPath: 'a.txt', size: 10 };
    },
    read: (_p, opts = {}) => (stage === 'read' ? waitForAbort(opts.signal) : Promise.resolve(new TextEncoder().encode('The key is 1.\n'))),
  };
}

describe('backend worker on the real engine (passkey-char-128.gguf)', function () {
  this.timeout(600_000);
  let tmp = '';
  let repo = '';
  let hangModel = '';
  let settings: AssistantSettings;
  let source: FileSource | null;
  let backend: WorkerBackend;
  const logs: string[] = [];
  const deps: WorkerBackendDeps = {
    settings: () => settings, source: () => source, editor: () => undefined, log: (l) => { logs.push(l); if (process.env.SE_DEBUG) console.error(l); }, worker: { maxContext: 1024 },
  };

  before(async function () {
    if (!fs.existsSync(MODEL)) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'se-worker-'));
    repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    // Enough files that packing takes several event-loop turns.
    for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(repo, `f${String(i).padStart(2, '0')}.txt`), `File ${i}. The sky is blue.\n`);
    fs.writeFileSync(path.join(repo, 'key.txt'), 'The pass key is 12345. Remember it.\n');
    hangModel = path.join(tmp, 'hang.gguf');
    await writeSyntheticModel(hangModel, {
      architecture: 'llama', type: GGMLType.F32, vocabSize: 300, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 4, ffnDim: 128, contextLength: 256, seed: 7,
      extraMetadata: [meta.str('tokenizer.chat_template', '{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}x')],
    });
    settings = normalizeSettings({ ...DEFAULT_SETTINGS, modelPath: MODEL, maxNewTokens: 3, temperature: 0, selfExtend: { enabled: true, groupSize: 8, neighborWindow: 32, targetContext: 1024 } });
    source = new NodeFileSource(repo);
    backend = new WorkerBackend(deps);
  });
  after(async () => {
    await backend?.shutdown();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  type StopAt = (phase: string, detail: string | undefined, tokens: number) => boolean;
  /** Runs one request; `stopAt` says when to press Stop. Returns how it ended and how long Stop took. */
  let stall: () => void = () => undefined;
  async function run(req: WireRequest, stopAt?: StopAt): Promise<{ outcome: string; stopMs: number; text: string; error?: Error; result?: AnswerResult }> {
    const abort = new AbortController();
    let stoppedAt = 0;
    let tokens = 0;
    let text = '';
    stall = () => check('stalled');
    const check = (phase: string, detail?: string): void => {
      if (!stoppedAt && stopAt?.(phase, detail, tokens)) {
        stoppedAt = Date.now();
        abort.abort();
      }
    };
    const events: AnswerEvents = {
      progress: (p, _f, d) => check(p, d),
      context: () => undefined,
      token: (t) => {
        tokens++;
        text += t;
        check('token');
      },
    };
    try {
      const r = await backend.answer({ ...req, signal: abort.signal } as AnswerRequest, events);
      return { outcome: r.finish, stopMs: stoppedAt ? Date.now() - stoppedAt : 0, text, result: r };
    } catch (e) {
      return { outcome: isCancellation(e) ? 'cancelled' : 'failed', stopMs: stoppedAt ? Date.now() - stoppedAt : 0, text, error: e as Error };
    }
  }
  const ask = (question = 'What is the pass key?'): WireRequest => ({ kind: 'ask', chatId: `c${Math.random()}`.replace('.', ''), question, history: [] });
  async function succeeds(): Promise<void> {
    const r = await run(ask());
    assert.equal(r.outcome, 'length', `the next request fails: ${r.error?.message}`);
    assert.ok(r.text.length > 0);
  }

  it('answers through the worker: context, streamed tokens, a report', async () => {
    logs.length = 0;
    const r = await run(ask());
    assert.equal(r.outcome, 'length', r.error?.stack);
    // The passkey model has no chat template: the plain transcript that stands in is said, never silent
    // (issue 10 point 4): in the result that crosses the boundary (the chat view's footer) and in the log.
    assert.match(r.result?.promptFallback ?? '', /no chat template/);
    assert.equal(logs.filter((l) => l.startsWith('prompt format: ') && l.includes('no chat template')).length, 1, logs.join('\n'));
    assert.equal(backend.loadedModel()?.contextLength, 128);
    // The passkey model has (about) one token per character; the pre-load estimate would say 2.
    assert.ok((await backend.countTokens('abcdefgh')) >= 8, 'counted by the model in the worker, not estimated');
  });

  const stages: { name: string; source?: () => FileSource; stopAt: StopAt; summarize?: boolean }[] = [
    { name: 'listing', source: () => stallingSource('list', () => stall()), stopAt: (p) => p === 'stalled' },
    { name: 'reading', source: () => stallingSource('read', () => stall()), stopAt: (p) => p === 'stalled' },
    { name: 'packing (tokenizing)', stopAt: (p, d) => p === 'reading-repository' && (d ?? '').startsWith('packing') },
    { name: 'prefill', stopAt: (p) => p === 'prefill' },
    { name: 'decode', stopAt: (p) => p === 'token' },
    { name: 'summarizing', summarize: true, stopAt: (p) => p === 'summarizing' || p === 'prefill' },
  ];
  for (const st of stages) {
    it(`Stop while ${st.name} ends the request within 1.5 s; the next request succeeds`, async () => {
      const workers = backend.workersStarted;
      source = st.source ? st.source() : new NodeFileSource(repo);
      const req = st.summarize
        ? ({ kind: 'summarize', chatId: 's', label: 'notes.txt', text: 'The sky is blue.\n'.repeat(80) } as const)
        : ask();
      const r = await run(req, st.stopAt);
      source = new NodeFileSource(repo);
      assert.ok(r.stopMs > 0, 'the stage was reached');
      assert.ok(['cancelled', 'stopped'].includes(r.outcome), `ended as ${r.outcome}: ${r.error?.message}`);
      assert.ok(r.stopMs < 1500, `Stop took ${r.stopMs} ms`);
      await succeeds();
      assert.equal(backend.workersStarted, Math.max(workers, 1), 'a cooperative Stop keeps the worker (and the loaded model)');
    });
  }

  it('a worker that dies mid-decode fails the request clearly; the next request starts a fresh worker', async () => {
    // The injected fault makes the worker exit on its first streamed token.
    const faulty: WorkerBackendDeps = { ...deps, worker: { maxContext: 1024, fault: { kind: 'exit-on-token', token: 1 } } };
    const other = new WorkerBackend(faulty);
    const noop: AnswerEvents = { progress: () => undefined, context: () => undefined, token: () => undefined };
    try {
      await assert.rejects(other.answer({ ...ask(), signal: new AbortController().signal } as AnswerRequest, noop), (e: Error) => {
        assert.ok(e instanceof BackendCrashedError, `${e.name}: ${e.message}`);
        assert.match(e.message, /stopped unexpectedly.*next request starts a fresh worker/s);
        return true;
      });
      faulty.worker = { maxContext: 1024 };
      const ok = await other.answer({ ...ask(), signal: new AbortController().signal } as AnswerRequest, noop);
      assert.equal(ok.finish, 'length');
      assert.equal(other.workersStarted, 2);
    } finally {
      await other.shutdown();
    }
  });

  it('a chat template that does not finish: Stop ends the request within 1.5 s (the worker is set aside); the next request succeeds', async () => {
    const workers = backend.workersStarted;
    settings = { ...settings, modelPath: hangModel };
    const abort = new AbortController();
    let stoppedAt = 0;
    // Once the model is loaded the worker is rendering the template, which never returns: press Stop then.
    const off = backend.onStatus((s) => {
      if (s.phase === 'ready' && !stoppedAt) setTimeout(() => ((stoppedAt = Date.now()), abort.abort()), 300);
    });
    const noop: AnswerEvents = { progress: () => undefined, context: () => undefined, token: () => undefined };
    let error: Error | undefined;
    try {
      await backend.answer({ ...ask('hi'), workspace: false, signal: abort.signal } as AnswerRequest, noop);
    } catch (e) {
      error = e as Error;
    } finally {
      off();
      settings = { ...settings, modelPath: MODEL };
    }
    const stopMs = Date.now() - stoppedAt;
    assert.ok(stoppedAt > 0 && error && isCancellation(error), `ended with ${error?.message}`);
    assert.match(error.message, /cannot be interrupted.*fresh one/s);
    assert.ok(stopMs < 1500, `Stop took ${stopMs} ms`);
    assert.ok(logs.some((l) => /retired: a Stop was not honoured/.test(l)));
    await succeeds();
    assert.equal(backend.workersStarted, Math.max(workers, 1) + 1, 'the next request started a fresh worker');
  });
});
