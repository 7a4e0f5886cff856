import * as assert from 'node:assert/strict';
import { chooseSelfExtend, validateSelfExtend, reachableContext, SelfExtendParamsError } from '../../gpu/attention/params';
import { planSplits } from '../../gpu/attention/module';

describe('attention: SelfExtend parameters', () => {
  it('accepts valid G/W and plain attention', () => {
    validateSelfExtend({ groupSize: 16, neighborWindow: 32 }, 128);
    validateSelfExtend({ groupSize: 1, neighborWindow: 0 }, 128);
    validateSelfExtend({ groupSize: 1, neighborWindow: 5000 }, 128); // W is unused when G = 1
  });

  it('rejects W % G != 0 with a hint', () => {
    assert.throws(() => validateSelfExtend({ groupSize: 16, neighborWindow: 30 }, 128), (e: Error) => {
      assert.ok(e instanceof SelfExtendParamsError);
      assert.match(e.message, /W = 30 must be a multiple of group size G = 16 \(try W = 16 or W = 32\)/);
      return true;
    });
  });

  it('rejects W >= L, G < 1 and non-integers', () => {
    assert.throws(() => validateSelfExtend({ groupSize: 4, neighborWindow: 128 }, 128), /must be smaller than the model's trained context L = 128/);
    assert.throws(() => validateSelfExtend({ groupSize: 0, neighborWindow: 4 }, 128), /integer >= 1/);
    assert.throws(() => validateSelfExtend({ groupSize: 2.5, neighborWindow: 4 }, 128), /integer >= 1/);
    assert.throws(() => validateSelfExtend({ groupSize: 4, neighborWindow: 0 }, 128), /positive integer/);
  });

  it('chooses the smallest G with (L − W)·G + W >= N', () => {
    const c = chooseSelfExtend({ trainedContext: 4096, targetContext: 16000 });
    // W = L/4 = 1024 (multiple of every G tried): G=4 reaches 3072·4+1024 = 13312 < 16000; G=5 reaches 16384.
    assert.equal(c.groupSize, 5);
    assert.equal(c.neighborWindow, 1020); // 1024 rounded down to a multiple of 5
    assert.equal(c.reachableContext, (4096 - 1020) * 5 + 1020);
    assert.ok(c.reachableContext >= 16000);
    assert.match(c.description, /G=5 W=1020: reaches 16400 tokens/);
    const prev = reachableContext(4096, { groupSize: 4, neighborWindow: 1024 });
    assert.ok(prev < 16000);
  });

  it('honours a given W, skipping G that do not divide it, and picks plain when N <= L', () => {
    const c = chooseSelfExtend({ trainedContext: 128, targetContext: 1024, neighborWindow: 32 });
    // G=8: 96·8+32 = 800 < 1024; G=16: 1568 (9..15 do not divide 32).
    assert.deepEqual([c.groupSize, c.neighborWindow, c.reachableContext], [16, 32, 1568]);
    assert.equal(chooseSelfExtend({ trainedContext: 128, targetContext: 100 }).groupSize, 1);
  });

  it('explains when no G reaches the target', () => {
    assert.throws(() => chooseSelfExtend({ trainedContext: 128, targetContext: 100000 }), /No SelfExtend group size up to 64 reaches 100000/);
  });
});

describe('attention: decode split plan (flash-decoding parallelism)', () => {
  // The module's defaults: hardware target 128 workgroups, software 16; splits of >= 64 keys, <= 32 of them.
  const hw = { maxTokens: 16, minKeysPerSplit: 64, maxSplits: 32, targetWorkgroups: 128 };
  const sw = { ...hw, targetWorkgroups: 16 };

  it('a 600-token decode on a 2-KV-head model (Qwen2.5-1.5B shape) runs >= 8 workgroups per KV head', () => {
    for (const o of [hw, sw]) {
      const p = planSplits(1, 600, 1 * 2, o); // one row workgroup (6 query heads of a KV head) × 2 KV heads
      assert.ok(p.nSplits >= 8, `${p.nSplits} splits`);
      assert.equal(p.splitLen % 32, 0, 'splits start on key tiles');
      assert.ok((p.nSplits - 1) * p.splitLen < 600 && p.nSplits * p.splitLen >= 600, 'splits cover the keys exactly once');
    }
  });

  it('edge sizes: tiny ranges do not split, big ones cap at maxSplits, prefill batches never split', () => {
    assert.equal(planSplits(1, 1, 2, hw).nSplits, 1);
    assert.equal(planSplits(1, 127, 2, hw).nSplits, 1);
    for (const keys of [128, 131, 997, 4096, 100_003]) {
      const p = planSplits(1, keys, 2, hw);
      assert.ok(p.nSplits >= 2 && p.nSplits <= 32, `${keys}: ${p.nSplits}`);
      assert.ok((p.nSplits - 1) * p.splitLen < keys && p.nSplits * p.splitLen >= keys, `${keys}: ${p.nSplits} × ${p.splitLen}`);
    }
    assert.equal(planSplits(17, 5000, 2, hw).nSplits, 1);
  });
});
