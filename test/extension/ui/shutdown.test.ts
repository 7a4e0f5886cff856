// Issue 7 criterion 4 (extension side): deactivating the extension stops requests, saves their chats,
// and releases the GPU device and the model's file handles. The wiring deactivate() runs
// (ExtensionShutdown over the controller, backend and model manager) is tested with fakes for order
// and bounds, then on the real engine with the tiny passkey model.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionShutdown } from '../../../extension/vscode/shutdown';
import { ChatController } from '../../../extension/vscode/chat-controller';
import { CoreBackend } from '../../../extension/vscode/core-backend';
import { HistoryStore } from '../../../extension/vscode/history-store';
import { ModelManager } from '../../../extension/vscode/model-manager';
import { readSettings, toAssistantSettings } from '../../../extension/vscode/settings-schema';
import { Engine } from '../../../gpu/engine/index';
import type { GpuModel } from '../../../gpu/engine/model';
import { engineLiveDevices } from '../../../gpu/engine/session';
import type { EngineApi, Model } from '../../../gpu/engine/types';
import type { ExtensionMessage } from '../../../extension/protocol';

const MODEL = join(process.cwd(), 'assets', 'models', 'passkey-char-128.gguf');

/** Open descriptors of this process that point at `file` (Linux /proc; null elsewhere). */
function openHandlesTo(file: string): string[] | null {
  if (!fs.existsSync('/proc/self/fd')) return null;
  const real = fs.realpathSync(file);
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === real) out.push(fd);
    } catch {
      // the descriptor closed while we looked
    }
  }
  return out;
}

describe('extension/vscode shutdown (deactivate)', () => {
  it('stops controllers first, then the backend, then frees the model; idempotent; never throws', async () => {
    const order: string[] = [];
    const s = new ExtensionShutdown({
      controllers: [{ dispose: async () => { order.push('controller'); } }],
      backend: { dispose: () => { order.push('backend'); throw new Error('boom'); } },
      models: { dispose: () => void order.push('models') },
      log: (l) => order.push(`log:${l.split(':')[0]}`),
    });
    await Promise.all([s.dispose(), s.dispose()]);
    assert.deepEqual(order.filter((o) => !o.startsWith('log')), ['controller', 'backend', 'models']);
    assert.ok(order.includes('log:shutdown'), 'the failure is logged, not thrown');
  });

  it('does not wait forever for a request that ignores the abort: the model is freed after the grace period', async () => {
    let freed = false;
    const s = new ExtensionShutdown({
      controllers: [{ dispose: () => new Promise<void>(() => undefined) }],
      backend: { dispose: () => undefined },
      models: { dispose: () => { freed = true; } },
      log: () => undefined,
    });
    await s.dispose(50);
    assert.equal(freed, true);
  });

  it('a model that finishes loading after shutdown is freed, not kept', async () => {
    let release!: (m: Model) => void;
    let disposed = 0;
    const engine: EngineApi = { load: () => new Promise<Model>((r) => (release = r)) };
    const models = new ModelManager(engine, () => ({ path: '/m/x.gguf', powerPreference: 'high-performance' }));
    const pending = models.get();
    models.dispose();
    release({ dispose: () => void disposed++ } as unknown as Model);
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(disposed, 1);
    await assert.rejects(models.get(), { name: 'AbortError' }, 'no new loads after shutdown');
  });

  describe('on the real engine (passkey-char-128.gguf)', function () {
    this.timeout(240_000);
    let dir = '';
    before(function () {
      if (!fs.existsSync(MODEL)) {
        console.log(`      skipped: ${MODEL} is absent`);
        this.skip();
      }
    });
    beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-shutdown-')); });
    afterEach(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

    it('mid-answer: the request stops, the chat is saved, the device is destroyed and no handle to the model stays open', async () => {
      const devicesBefore = engineLiveDevices();
      const engine: EngineApi = { load: (p, o) => Engine.load(p, { ...o, maxContext: 1024 }) };
      const raw: Record<string, unknown> = { modelPath: MODEL, targetContext: 1024, maxNewTokens: 48, temperature: 0 };
      const settings = () => toAssistantSettings(readSettings((k) => raw[k]));
      const models = new ModelManager(engine, () => ({ path: MODEL, powerPreference: 'high-performance' }));
      const backend = new CoreBackend({ models, settings, source: () => null, editor: () => undefined, log: () => undefined });
      const store = new HistoryStore(dir);
      const ctrl = new ChatController({ store, backend, hostAction: () => undefined, curatedModels: [], modelStatus: () => models.getStatus(), log: () => undefined });
      const shutdown = new ExtensionShutdown({ controllers: [ctrl], backend, models, log: () => undefined });

      let lost: Promise<GPUDeviceLostInfo> | undefined;
      let ending: Promise<void> | undefined;
      let handlesWhileRunning: string[] | null = null;
      const msgs: ExtensionMessage[] = [];
      ctrl.attach((m) => {
        msgs.push(m);
        // Deactivate at the first streamed token: the request is on the GPU right now.
        if (m.type === 'token' && !ending) {
          const model = models.peek() as GpuModel | undefined;
          lost = model?.gpuDevice()?.lost;
          handlesWhileRunning = openHandlesTo(MODEL);
          ending = shutdown.dispose();
        }
      });
      await ctrl.ask('What is the pass key?');
      assert.ok(ending && lost, 'the answer streamed at least one token');
      await ending;

      const info = await Promise.race([lost, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      assert.ok(info, 'device.lost resolved');
      assert.equal(info.reason, 'destroyed');
      assert.equal(engineLiveDevices(), devicesBefore, 'no engine device left alive');
      assert.equal(models.peek(), undefined);
      if (handlesWhileRunning !== null) {
        assert.deepEqual(handlesWhileRunning, [], 'the engine holds no handle to the model file while generating');
        assert.deepEqual(openHandlesTo(MODEL), [], 'nor after shutdown');
      }

      // The stopped answer was saved completely (no temp file left from a cut write).
      const end = msgs.find((m) => m.type === 'answerEnd');
      assert.ok(end && end.type === 'answerEnd' && ['stopped', 'done', 'length'].includes(end.finish));
      const saved = await new HistoryStore(dir).load(ctrl.chatId);
      assert.equal(saved?.turns.length, 2);
      assert.equal(saved?.turns[1]?.finish, end.finish);
      assert.deepEqual((await readdir(join(dir, 'chats'))).filter((n) => n.endsWith('.tmp')), []);

      // After shutdown nothing starts again (no reload of the model, no new device).
      const n = msgs.length;
      await ctrl.ask('again?');
      assert.equal(msgs.length, n);
      await assert.rejects(backend.answer({ kind: 'chat', messages: [{ role: 'user', content: 'x' }], signal: new AbortController().signal }, { progress: () => undefined, context: () => undefined, token: () => undefined }), { name: 'AbortError' });
      assert.equal(engineLiveDevices(), devicesBefore);
    });
  });
});
