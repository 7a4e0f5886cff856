// A small, seeded run of the chat-template fuzzer (tools/fuzz/templates.ts; the full runs are
// `npm run fuzz -- --target templates --cases 5000 --seed S`): no hang, no crash, no escape, and
// every hostile template refused with a clear ChatTemplateError.
import * as assert from 'node:assert/strict';
import { fuzzTemplates, Renderer, seedTemplates, templateCase } from '../../tools/fuzz/templates';

describe('templates fuzzer (issue 13)', function () {
  this.timeout(180_000);

  it('is deterministic per seed and mutates the real templates', function () {
    const seeds = seedTemplates();
    assert.ok(seeds.length >= 2);
    assert.deepEqual(templateCase(5, 17, seeds, 100), templateCase(5, 17, seeds, 100));
    assert.notDeepEqual(templateCase(5, 17, seeds, 100), templateCase(6, 17, seeds, 100));
  });

  it('120 cases: 0 crashes, 0 hangs, 0 escapes; hostile templates refused, real ones accepted', async function () {
    const s = await fuzzTemplates({ cases: 120, seed: 1, caseTimeoutMs: 15_000 });
    assert.deepEqual(s.failures, []);
    assert.equal(s.crashes + s.hangs + s.escapes, 0);
    assert.equal(s.accepted + s.rejected, 120);
    assert.ok(s.rejected > 0 && s.accepted > 0, JSON.stringify(s));
  });

  it('the harness itself reports a hang when a template is not stopped, and the next case gets a fresh renderer', async function () {
    const r = new Renderer();
    try {
      const loop = '{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}';
      // A 60 s template limit stands for limits that fail: only the harness's 1.5 s case limit can end it.
      const hung = await r.run({ case: 0, source: loop, messages: [{ role: 'user', content: 'hi' }], timeMs: 60_000, contextTokens: 4096 }, 1500);
      assert.equal(hung, 'hang');
      const next = await r.run({ case: 1, source: '{{ messages[0].content }}', messages: [{ role: 'user', content: 'hi' }], timeMs: 2000, contextTokens: 4096 }, 15_000);
      assert.deepEqual(next, { case: 1, kind: 'accepted', detail: '' });
    } finally {
      r.kill();
    }
  });
});
