import { strict as assert } from 'node:assert';
import { describeError, ModelNotConfiguredError } from '../../../extension/vscode/error-actions';
import { GGUFError } from '../../../gpu/gguf/errors';
import { NoAdapterError } from '../../../gpu/device/gpu-device';
import { OutOfMemoryError, DeviceLostError, CancelledError } from '../../../gpu/engine/errors';

describe('extension/vscode describeError', () => {
  it('treats cancellation as stopped, not as an error', () => {
    const d = describeError(new CancelledError());
    assert.equal(d.cancelled, true);
    assert.deepEqual(d.actions, []);
  });
  it('offers model actions for unusable models and out-of-memory, and drops the model', () => {
    const arch = describeError(new GGUFError('unsupported-arch', "architecture 'mamba' is not supported"));
    assert.match(arch.message, /cannot be used: architecture 'mamba'/);
    assert.deepEqual(arch.actions, ['selectModel', 'downloadModel']);
    assert.equal(arch.dropModel, true);
    const oom = describeError(new OutOfMemoryError('needs 9 GiB, the adapter allows 4 GiB'));
    assert.match(oom.message, /smaller model/);
    assert.ok(oom.actions.includes('selectModel'));
  });
  it('points GPU problems at the status report', () => {
    assert.ok(describeError(new NoAdapterError('none')).actions.includes('showStatus'));
    assert.deepEqual(describeError(new DeviceLostError('reset')).actions, ['showStatus']);
  });
  it('handles a bad model path and the unconfigured state', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/x.gguf'"), { code: 'ENOENT', path: '/x.gguf' });
    const d = describeError(e);
    // Plain words for the user; the errno text stays available for the output channel.
    assert.equal(d.message, 'The model file /x.gguf does not exist.');
    assert.match(d.detail ?? '', /ENOENT/);
    assert.deepEqual(d.actions, ['selectModel', 'openSettings']);
    assert.deepEqual(describeError(new ModelNotConfiguredError()).actions, ['selectModel', 'downloadModel']);
  });
  it('never throws on odd values', () => {
    assert.equal(describeError(undefined).message, 'undefined');
    assert.equal(describeError({ name: 5 }).cancelled, false);
    assert.equal(describeError('plain').message, 'plain');
  });
});
