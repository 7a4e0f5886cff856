// Issue 7 criteria 2 and 3 on the chat path: a lost GPU device shows in the chat and the next request
// reloads the model; Stop while the repository is being read ends promptly (even when the host's file
// system ignores the abort) and the next request works.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ChatController } from '../../../extension/vscode/chat-controller';
import { CoreBackend } from '../../../extension/vscode/core-backend';
import { ModelManager } from '../../../extension/vscode/model-manager';
import { readSettings, toAssistantSettings } from '../../../extension/vscode/settings-schema';
import { SkipReport } from '../../../extension/core/workspace/skip-report';
import type { FileEntry, FileSource, ListOptions } from '../../../extension/core/workspace/types';
import { DeviceLostError } from '../../../gpu/engine/errors';
import { Engine } from '../../../gpu/engine/index';
import type { GpuModel } from '../../../gpu/engine/model';
import type { EngineApi, GenerateChunk, GenerateOptions, Model } from '../../../gpu/engine/types';
import type { ExtensionMessage } from '../../../extension/protocol';
import { FakeModel } from '../core/fake-model';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const memoryStore = () => ({ save: async () => undefined, load: async () => undefined, delete: async () => undefined, list: async () => [], latest: async () => undefined });

/** A workspace on a slow file system that never looks at the abort signal (the worst case for Stop). */
class SlowSource implements FileSource {
  readonly rootLabel = 'slow';
  readonly skipped = new SkipReport();
  slow = true;
  listed = 0;
  async *list(_opts?: ListOptions): AsyncIterable<FileEntry> {
    for (let i = 0; i < 400; i++) {
      if (this.slow) await sleep(i === 0 ? 0 : 2000); // one stalled directory read after the first file
      this.listed++;
      yield { relPath: `src/f${String(i).padStart(3, '0')}.ts`, size: 40 };
    }
  }
  async read(relPath: string): Promise<Uint8Array> {
    if (this.slow) await sleep(2000);
    return new TextEncoder().encode(`export const v = '${relPath}';\n`);
  }
}

function harness(engine: EngineApi, source: () => FileSource | null, raw: Record<string, unknown>) {
  const settings = () => toAssistantSettings(readSettings((k) => raw[k]));
  const models = new ModelManager(engine, () => ({ path: String(raw.modelPath), powerPreference: 'high-performance' }));
  const backend = new CoreBackend({ models, settings, source, editor: () => undefined, log: () => undefined });
  const ctrl = new ChatController({ store: memoryStore(), backend, hostAction: () => undefined, curatedModels: [], modelStatus: () => models.getStatus(), log: () => undefined });
  const msgs: ExtensionMessage[] = [];
  ctrl.attach((m) => msgs.push(m));
  return { ctrl, msgs, models };
}

describe('extension/vscode chat under faults', () => {
  it('Stop while reading the repository ends within 200 ms even if the file system ignores the abort; the next request works', async () => {
    const source = new SlowSource();
    let loads = 0;
    const engine: EngineApi = { load: async () => { loads++; return new FakeModel(512, 8192); } };
    const { ctrl, msgs } = harness(engine, () => source, { modelPath: '/fake/model.gguf', targetContext: 4096, maxNewTokens: 16 });
    let stoppedAt = 0;
    let endedAt = 0;
    ctrl.attach((m) => {
      if (m.type === 'progress' && m.phase === 'reading-repository' && !stoppedAt) {
        stoppedAt = Date.now();
        ctrl.stop();
      }
      if (m.type === 'answerEnd') endedAt = Date.now();
    });
    await ctrl.ask('What is v?');
    assert.ok(stoppedAt > 0, 'the request reached repository reading');
    const end = msgs.find((m) => m.type === 'answerEnd');
    assert.ok(end && end.type === 'answerEnd' && end.finish === 'stopped');
    assert.ok(endedAt - stoppedAt < 200, `stopped ${endedAt - stoppedAt} ms after Stop`);
    assert.ok(!msgs.some((m) => m.type === 'error'), 'a stop is not an error');
    assert.ok(source.listed < 400, 'the listing did not run to the end');

    source.slow = false;
    msgs.length = 0;
    await ctrl.ask('What is v?');
    const start = msgs.find((m) => m.type === 'answerStart');
    assert.ok(start && start.type === 'answerStart' && start.chips.length > 0, 'the next request gathers and answers');
    assert.ok(msgs.some((m) => m.type === 'answerEnd' && (m.finish === 'done' || m.finish === 'length')));
    assert.equal(loads, 1, 'the model stayed loaded');
  });

  it('a lost device fails the request with the engine\'s message in the chat, and the next request reloads the model', async () => {
    const models: Model[] = [];
    let disposed = 0;
    const engine: EngineApi = {
      load: async () => {
        const m = new FakeModel(512, 8192);
        const first = models.length === 0;
        models.push(m);
        const real = m.generate.bind(m);
        m.dispose = () => void disposed++;
        m.generate = async function* (input: string | readonly number[], opts?: GenerateOptions): AsyncGenerator<GenerateChunk, void, undefined> {
          let n = 0;
          for await (const c of real(input, opts)) {
            yield c;
            if (first && ++n === 2) throw new DeviceLostError('destroyed');
          }
        };
        return m;
      },
    };
    const { ctrl, msgs, models: manager } = harness(engine, () => null, { modelPath: '/fake/model.gguf', targetContext: 4096, maxNewTokens: 16 });
    await ctrl.ask('hello?');
    const err = msgs.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error' && err.turnId, 'the error belongs to the answer turn');
    assert.match(err.message, /GPU device was lost \(destroyed\).*reloaded automatically on the next request/);
    assert.deepEqual(err.actions, ['showStatus']);
    assert.equal(disposed, 1, 'the broken model was freed');
    assert.equal(manager.peek(), undefined);

    msgs.length = 0;
    await ctrl.ask('hello again?');
    assert.equal(models.length, 2, 'the next request loaded the model again');
    assert.ok(msgs.some((m) => m.type === 'answerEnd' && (m.finish === 'done' || m.finish === 'length')));
    assert.ok(!msgs.some((m) => m.type === 'error'));
  });

  describe('on the real engine (passkey-char-128.gguf)', function () {
    this.timeout(240_000);
    const MODEL = join(process.cwd(), 'assets', 'models', 'passkey-char-128.gguf');
    before(function () {
      if (!fs.existsSync(MODEL)) {
        console.log(`      skipped: ${MODEL} is absent`);
        this.skip();
      }
    });

    it('device destroyed mid-decode: the chat shows the loss, the next request runs on a fresh device', async () => {
      const engine: EngineApi = { load: (p, o) => Engine.load(p, { ...o, maxContext: 1024 }) };
      const { ctrl, msgs, models } = harness(engine, () => null, { modelPath: MODEL, targetContext: 1024, maxNewTokens: 24, temperature: 0 });
      let killed: GPUDevice | undefined;
      ctrl.attach((m) => {
        if (m.type === 'token' && !killed) {
          killed = (models.peek() as GpuModel | undefined)?.gpuDevice() ?? undefined;
          killed?.destroy();
        }
      });
      try {
        await ctrl.ask('What is the pass key?');
        assert.ok(killed, 'a token streamed before the device was destroyed');
        const err = msgs.find((m) => m.type === 'error');
        const end = msgs.find((m) => m.type === 'answerEnd');
        // The loss may land after the last token was already produced; if so, the answer simply ended.
        if (err && err.type === 'error') assert.match(err.message, /GPU device was lost/);
        else assert.ok(end, 'the answer ended');

        msgs.length = 0;
        await ctrl.ask('What is the pass key?');
        assert.ok(!msgs.some((m) => m.type === 'error'), JSON.stringify(msgs.find((m) => m.type === 'error')));
        assert.ok(msgs.some((m) => m.type === 'answerEnd' && m.finish !== 'error'));
        const fresh = (models.peek() as GpuModel | undefined)?.gpuDevice();
        assert.ok(fresh && fresh !== killed, 'a new device serves the next request');
      } finally {
        models.dispose();
      }
    });
  });
});
