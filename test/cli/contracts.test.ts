// Issue 13 finding 10: CLI flag contracts are enforced before the model loads, with errors that name the
// flag and its range, never a silent clamp or a silently ignored flag.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { generate } from '../../cli/commands/generate';
import { logits } from '../../cli/commands/logits';
import { ask, settingsFromFlags } from '../../cli/commands/ask';
import { chooseSelfExtend, SelfExtendParamsError } from '../../gpu/attention/params';
import { resolveWindow } from '../../extension/core/chat/window';

// A path that does not exist: a flag error must come before the model is opened.
const NO_MODEL = path.join(process.cwd(), 'no-such-model.gguf');

describe('cli: flag contracts (issue 13 finding 10)', () => {
  it('generate -n 0 (and negative) is an error, not one generated token', async () => {
    for (const n of [['-n', '0'], ['-n-3']]) {
      await assert.rejects(generate.run([NO_MODEL, '--prompt', 'x', ...n]), /-n must be between 1 and/);
    }
  });

  it('--window without --group is an error for generate, logits and ask, not silently ignored', async () => {
    await assert.rejects(generate.run([NO_MODEL, '--prompt', 'x', '--window', '32']), /--window needs --group/);
    await assert.rejects(logits.run([NO_MODEL, '--prompt', 'x', '--window', '32']), /--window needs --group/);
    await assert.rejects(generate.run([NO_MODEL, '--prompt', 'x', '--group', '1', '--window', '32']), /no effect with --group 1/);
    await assert.rejects(ask.run(['--model', NO_MODEL, '--window', '32', 'q']), /--window needs --group/);
    assert.throws(() => settingsFromFlags({ group: '1', window: '32' }), /no effect with --group 1/);
  });

  it('--group 65 is rejected with the range, not clamped to 64 and then failing on "W (got 0)"', async () => {
    assert.throws(() => settingsFromFlags({ group: '65' }), /--group must be between 1 and 64 \(got 65\)/);
    assert.throws(() => settingsFromFlags({ group: '0' }), /--group must be between 1 and 64/);
    await assert.rejects(ask.run(['--model', NO_MODEL, '--group', '65', 'q']), /--group must be between 1 and 64/);
    assert.throws(() => settingsFromFlags({ group: '4', window: '30' }), /--window 30 must be a multiple of --group 4/);
    assert.throws(() => settingsFromFlags({ target: '100' }), /--target must be between 512 and 131072/); // the settings table's range
    assert.equal(settingsFromFlags({ group: '64' }).selfExtend.groupSize, 64);
  });

  it('a valid G whose default window is 0 says so instead of "W must be a positive integer (got 0)"', () => {
    const se = { enabled: true, groupSize: 64, neighborWindow: 0, targetContext: 16384 };
    assert.throws(() => resolveWindow(se, 128, 100_000), (e: unknown) => e instanceof SelfExtendParamsError && /G = 64 is too large for a model trained on 128 tokens.*G <= 32/.test(e.message) && !/got 0/.test(e.message));
  });

  it('when no G reaches the target, the message quotes the best usable G, not G = 64 with a window it skips', () => {
    // L = 128: default W = L/4 rounded to a multiple of G is 0 for G > 32, so G = 32 (W = 32) is the best: 96·32 + 32.
    assert.throws(() => chooseSelfExtend({ trainedContext: 128, targetContext: 100_000 }), (e: unknown) =>
      e instanceof SelfExtendParamsError && /the most any usable G reaches is 3104, with G = 32 W = 32/.test(e.message) && !/8192/.test(e.message));
    // W = 100: only G that divide 100 (2, 4, 5, 10, 20, 25, 50) are usable; G = 50 reaches (128 − 100)·50 + 100 = 1500.
    assert.throws(() => chooseSelfExtend({ trainedContext: 128, targetContext: 100_000, neighborWindow: 100 }), /reaches is 1500, with G = 50 W = 100/);
    assert.throws(() => chooseSelfExtend({ trainedContext: 128, targetContext: 100_000, neighborWindow: 127 }), /reaches is 127.*|no G >= 2 is usable/);
  });
});
