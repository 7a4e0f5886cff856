// A bounded run of the webview-message fuzzer (tools/fuzz/messages.ts) in npm test; the full run is
// `npm run fuzz -- --target messages --cases 5000 --seed S --json`.
import * as assert from 'node:assert/strict';
import { fuzzMessages, messagesFuzzer } from '../../tools/fuzz/messages';
import { parseWebviewMessage } from '../../extension/protocol';

describe('fuzz: webview messages against the host validator (bounded run)', () => {
  it('500 random and mutated messages: every invalid one rejected, no exception, nothing unvalidated accepted', async () => {
    const s = await fuzzMessages({ cases: 500, seed: 7, caseTimeoutMs: 1000 });
    assert.deepEqual([s.crashes, s.hangs, s.escapes], [0, 0, 0], JSON.stringify(s.failures.slice(0, 3)));
    assert.equal(s.rejected + s.accepted, 500);
    assert.ok(s.rejected > 100 && s.accepted > 100, `both kinds are generated: ${s.rejected} rejected, ${s.accepted} accepted`);
  });

  it('the oracle can fail: a validator that lets `..` paths through, or throws, is caught', async () => {
    const lax = messagesFuzzer((raw) => {
      const r = raw as { type?: unknown; path?: unknown };
      return r && r.type === 'openFile' && typeof r.path === 'string' && r.path !== '' ? { type: 'openFile', path: r.path } : parseWebviewMessage(raw);
    });
    assert.ok((await lax({ cases: 500, seed: 7, caseTimeoutMs: 1000 })).escapes > 0);
    const throwing = messagesFuzzer((raw) => {
      if (Array.isArray(raw)) throw new TypeError('boom');
      return parseWebviewMessage(raw);
    });
    assert.ok((await throwing({ cases: 500, seed: 7, caseTimeoutMs: 1000 })).crashes > 0);
  });
});
