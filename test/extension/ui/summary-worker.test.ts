// Long summaries across the worker boundary (extension/backend): part summaries cross as
// messages (`part`), and the warning before a summary of many parts crosses as `askConfirm` → `confirmed` (a
// function cannot be posted to a worker). BackendService is the worker's side, driven here with the fake
// model and its messages checked by the protocol's own validators.
import { strict as assert } from 'node:assert';
import { BackendService } from '../../../extension/backend/service';
import { parseToHost, parseToWorker, type ToHost, type ToWorker } from '../../../extension/backend/protocol';
import { DEFAULT_SETTINGS, normalizeSettings } from '../../../extension/core/chat/settings';
import type { EngineApi } from '../../../gpu/engine/types';
import { FakeModel } from '../core/fake-model';

const text = (lines: number): string => Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(5, '0')} of the long file`).join('\n');
const settings = normalizeSettings({ ...DEFAULT_SETTINGS, modelPath: '/m/fake.gguf', maxNewTokens: 200, selfExtend: { ...DEFAULT_SETTINGS.selfExtend, enabled: false } });

function service() {
  const model = new FakeModel(1024, 8192);
  model.answer = (input) => (input.length > 900 ? 'a part summary' : 'The final summary.');
  const engine: EngineApi = { load: async () => model };
  const seen: ToHost[] = [];
  let onMessage: (m: ToHost) => void = () => undefined;
  const svc = new BackendService((m) => {
    const parsed = parseToHost(JSON.parse(JSON.stringify(m))); // as it would arrive: validated, no functions
    seen.push(parsed);
    onMessage(parsed);
  }, engine);
  const send = (m: ToWorker): void => svc.handle(parseToWorker(m));
  const until = (type: ToHost['type']): Promise<ToHost> => new Promise((resolve) => {
    const prev = onMessage;
    onMessage = (m) => {
      prev(m);
      if (m.type === type) resolve(m);
    };
  });
  return { svc, send, seen, until, model };
}

describe('extension/backend: long summaries across the worker boundary', () => {
  it('posts each part summary before the final summary\'s tokens', async () => {
    const { send, seen, until } = service();
    const done = until('done');
    send({ type: 'answer', id: 1, request: { kind: 'summarize', chatId: 'c', label: 'big.txt', text: text(300) }, settings, source: null });
    const end = await done;
    assert.ok(end.type === 'done' && end.result.finish === 'done');
    const parts = seen.flatMap((m, i) => (m.type === 'part' ? [i] : []));
    const firstToken = seen.findIndex((m) => m.type === 'token');
    assert.ok(parts.length > 1 && firstToken > parts.at(-1)!);
    assert.equal(end.result.timings.summaryParts?.done, parts.length);
  });

  it('asks the host before more than 20 parts and waits for its answer', async () => {
    for (const go of [false, true]) {
      const { send, until, model } = service();
      const asked = until('askConfirm');
      const done = until('done');
      send({ type: 'answer', id: 7, request: { kind: 'summarize', chatId: 'c', label: 'big.txt', text: text(1000), confirmLarge: true }, settings, source: null });
      const q = await asked;
      assert.ok(q.type === 'askConfirm' && q.plan.parts > 20);
      assert.equal(model.calls.length, 0, 'nothing runs before the answer');
      send({ type: 'confirmed', id: 7, ok: go });
      const end = await done;
      assert.ok(end.type === 'done');
      assert.equal(end.result.finish, go ? 'done' : 'stopped');
      assert.equal(model.calls.length > 0, go);
    }
  });
});
