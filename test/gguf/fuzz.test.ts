// Issue 7, criterion 1: 500 fuzz cases through the real loader in worker threads; no crash, no hang,
// no allocation past the documented bound, every rejection a readable GGUFError.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runFuzz, isReadable, allocBound } from '../../gpu/gguf/fuzz-runner';
import { makeCase, mapFields, prepareCorpus } from '../../gpu/gguf/fuzz';
import { buildCorpus } from '../../gpu/gguf/fuzz-corpus';
import { ROOT } from './helpers';

describe('gguf fuzzing (issue 7)', function () {
  this.timeout(600_000);

  it('cases are reproducible from (seed, index) and cover the structure of every corpus file', () => {
    const corpus = prepareCorpus(buildCorpus(ROOT));
    assert.ok(corpus.length >= 12, `corpus has ${corpus.length} files`);
    for (const c of corpus) {
      const fields = mapFields(c.file.bytes);
      assert.ok(fields.some((f) => f.kind === 'key-bytes'));
      if (c.header.tensors.length) assert.equal(fields.filter((f) => f.kind === 'tensor-offset').length, c.header.tensors.length);
    }
    const a = makeCase(corpus, 42, 7);
    const b = makeCase(corpus, 42, 7);
    assert.equal(a.mutation, b.mutation);
    assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)));
    assert.notEqual(makeCase(corpus, 43, 7).mutation, a.mutation);
  });

  it('judges messages and memory by the documented rules', () => {
    assert.ok(isReadable("metadata key 'x' is missing"));
    assert.ok(!isReadable('tensor undefined has shape'));
    assert.ok(!isReadable(''));
    assert.ok(!isReadable("metadata key '\u001b[2J' is missing"));
    assert.equal(allocBound(1 << 20), 64 * 2 ** 20 + 4 * 2 ** 20);
  });

  it('counts an injected hang, a non-GGUF error and a dying worker, and carries on', async () => {
    const r = await runFuzz({ cases: 8, seed: 5, root: ROOT, caseTimeoutMs: 4000, inject: { hang: 2, crash: 4, die: 6 } });
    assert.equal(r.cases, 8);
    assert.equal(r.hangs, 1);
    assert.equal(r.crashes, 2);
    assert.equal(r.rejected + r.accepted, 5);
    assert.deepEqual(r.failures.map((f) => [f.index, f.kind]).sort(), [[2, 'hang'], [4, 'crash'], [6, 'crash']]);
    assert.match(r.failures.find((f) => f.index === 4)!.message, /TypeError: injected crash/);
  });

  it('500 cases: 0 crashes, 0 hangs, 0 over the memory bound, every rejection readable', async () => {
    const r = await runFuzz({ cases: 500, seed: 20261128, root: join(ROOT), caseTimeoutMs: 30_000 });
    const detail = r.failures.map((f) => `${f.kind} #${f.index} ${f.source} [${f.mutation}]: ${f.message.split('\n')[0]}`).join('\n');
    assert.equal(r.cases, 500);
    assert.equal(r.crashes, 0, detail);
    assert.equal(r.hangs, 0, detail);
    assert.equal(r.over_memory, 0, detail);
    assert.equal(r.unreadable, 0, detail);
    assert.equal(r.rejected + r.accepted, 500);
    // The mutations must actually reach past the header checks into the model description.
    assert.ok(r.accepted > 0, 'no case was accepted');
    for (const code of ['truncated', 'too-large', 'bad-offset', 'bad-utf8', 'duplicate-key', 'bad-shape', 'bad-value-type', 'unsupported-type']) {
      assert.ok((r.byCode[code] ?? 0) > 0, `no rejection with code ${code}: ${JSON.stringify(r.byCode)}`);
    }
    console.log(`      fuzz: ${JSON.stringify({ cases: r.cases, crashes: r.crashes, hangs: r.hangs, rejected: r.rejected, accepted: r.accepted, max_ms: r.max_ms, max_alloc_mb: r.max_alloc_mb })}`);
  });
});
