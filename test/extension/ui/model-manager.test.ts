import { strict as assert } from 'node:assert';
import { ModelManager, type ModelKey } from '../../../extension/vscode/model-manager';
import { statusBarText } from '../../../extension/vscode/status-text';
import type { EngineApi, LoadOptions, Model } from '../../../gpu/engine/types';
import type { ModelStatus } from '../../../extension/protocol';

/** An engine whose loads finish when the test says so. */
class FakeEngine implements EngineApi {
  loads: { path: string; opts: LoadOptions; resolve: (m: Model) => void; reject: (e: Error) => void }[] = [];
  disposed: string[] = [];
  load(path: string, opts: LoadOptions = {}): Promise<Model> {
    return new Promise<Model>((resolve, reject) => this.loads.push({ path, opts, resolve, reject }));
  }
  model(path: string): Model {
    return { path, dispose: () => void this.disposed.push(path) } as unknown as Model;
  }
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('extension/vscode ModelManager', () => {
  let key: ModelKey;
  beforeEach(() => { key = { path: '/m/a.gguf', powerPreference: 'high-performance' }; });

  it('is unset without a path and says so when asked for a model', async () => {
    key.path = '';
    const mm = new ModelManager(new FakeEngine(), () => key);
    assert.equal(mm.getStatus().phase, 'unset');
    await assert.rejects(mm.get(), { name: 'ModelNotConfiguredError' });
  });
  it('loads once for concurrent callers, reports progress, then reuses the model', async () => {
    const eng = new FakeEngine();
    const mm = new ModelManager(eng, () => key);
    const seen: ModelStatus[] = [];
    mm.onStatus((s) => seen.push(s));
    const fractions: number[] = [];
    const a = mm.get({ progress: (f) => fractions.push(f) });
    const b = mm.get();
    await tick();
    assert.equal(eng.loads.length, 1);
    assert.equal(eng.loads[0]?.opts.powerPreference, 'high-performance');
    eng.loads[0]!.opts.onProgress?.({ bytesDone: 50, bytesTotal: 100 });
    eng.loads[0]!.resolve(eng.model('/m/a.gguf'));
    assert.equal(await a, await b);
    assert.deepEqual(fractions, [0.5]);
    assert.deepEqual(seen.map((s) => s.phase), ['loading', 'loading', 'ready']);
    await mm.get();
    assert.equal(eng.loads.length, 1);
  });
  it('reloads (and frees the old model) when the path changes', async () => {
    const eng = new FakeEngine();
    const mm = new ModelManager(eng, () => key);
    const p = mm.get();
    await tick();
    eng.loads[0]!.resolve(eng.model('/m/a.gguf'));
    await p;
    key = { ...key, path: '/m/b.gguf' };
    mm.refreshStatus();
    assert.equal(mm.getStatus().phase, 'idle');
    const q = mm.get();
    await tick();
    assert.deepEqual(eng.disposed, ['/m/a.gguf']);
    eng.loads[1]!.resolve(eng.model('/m/b.gguf'));
    assert.equal((await q).path, '/m/b.gguf');
  });
  it('a failed load shows the error and the next request tries again', async () => {
    const eng = new FakeEngine();
    const mm = new ModelManager(eng, () => key);
    const p = mm.get();
    await tick();
    eng.loads[0]!.reject(new Error('bad file'));
    await assert.rejects(p, /bad file/);
    assert.deepEqual(mm.getStatus(), { phase: 'error', name: 'a.gguf', message: 'bad file' });
    const q = mm.get();
    await tick();
    assert.equal(eng.loads.length, 2);
    eng.loads[1]!.resolve(eng.model('/m/a.gguf'));
    await q;
  });
  it('a stopped request stops waiting but the shared load continues', async () => {
    const eng = new FakeEngine();
    const mm = new ModelManager(eng, () => key);
    const ac = new AbortController();
    const p = mm.get(undefined, ac.signal);
    await tick();
    ac.abort();
    await assert.rejects(p, { name: 'AbortError' });
    assert.equal(eng.loads[0]?.opts.signal?.aborted, false);
    eng.loads[0]!.resolve(eng.model('/m/a.gguf'));
    await mm.get();
    assert.equal(eng.loads.length, 1);
  });
});

describe('extension/vscode statusBarText', () => {
  it('shows model name and state', () => {
    assert.match(statusBarText({ phase: 'loading', name: 'q.gguf', fraction: 0.42 }, { phase: 'idle' }).text, /q\.gguf: loading 42%/);
    assert.match(statusBarText({ phase: 'ready', name: 'q.gguf' }, { phase: 'reading-repository', fraction: 0.3 }).text, /reading repository 30%/);
    assert.match(statusBarText({ phase: 'ready', name: 'q.gguf' }, { phase: 'generating', detail: '12.3 tok/s' }).text, /generating 12\.3 tok\/s/);
    assert.match(statusBarText({ phase: 'ready', name: 'q.gguf' }, { phase: 'idle' }).text, /\$\(hubot\) q\.gguf: ready/);
    assert.match(statusBarText({ phase: 'unset' }, { phase: 'idle' }).text, /select a model/);
    assert.match(statusBarText({ phase: 'error', name: 'x', message: 'boom' }, { phase: 'idle' }).tooltip, /boom/);
  });
});
