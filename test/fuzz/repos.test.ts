// A bounded run of the repository fuzzer (tools/fuzz/repos.ts) in npm test: generated hostile trees
// listed through the CLI walker and the VS Code file source. The full run is
// `npm run fuzz -- --target repos --cases 5000 --seed S --json`.
import * as assert from 'node:assert/strict';
import { fuzzRepos } from '../../tools/fuzz/repos';

describe('fuzz: hostile repositories through both file sources (bounded run)', function () {
  this.timeout(300_000);
  it('30 generated trees: nothing outside the root, every skip reported, each listing bounded in time', async () => {
    const s = await fuzzRepos({ cases: 30, seed: 11, caseTimeoutMs: 20_000 });
    assert.deepEqual([s.crashes, s.hangs, s.escapes], [0, 0, 0], JSON.stringify(s.failures.slice(0, 3)));
    assert.equal(s.rejected + s.accepted, 30);
  });
});
