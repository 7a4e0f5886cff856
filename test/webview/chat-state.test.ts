import { strict as assert } from 'node:assert';
import { initialState, reduce, type UiState } from '../../webview/chat-state';
import type { ContextMeter, ExtensionMessage } from '../../extension/protocol';
import { meterTitle, meterLabel, meterWords, meterFraction, timingsLabel, progressLabel, chipParts, formatBytes } from '../../webview/format';

const meter: ContextMeter = { usedTokens: 3000, windowTokens: 6656, group: 4, neighbor: 512, trained: 2048, selfExtendEnabled: true };
const timings = { promptTokens: 3000, cachedTokens: 2900, generatedTokens: 40, ttftMs: 250, decodeTps: 21.5, totalMs: 2100 };

function run(msgs: ExtensionMessage[], s: UiState = initialState()): UiState {
  for (const m of msgs) s = reduce(s, m)[0];
  return s;
}

describe('webview chat-state reducer', () => {
  it('streams an answer: start, tokens, end', () => {
    const s = run([
      { type: 'userTurn', turn: { id: 'u1', role: 'user', text: 'q' } },
      { type: 'answerStart', turnId: 'a1', chips: [{ path: 'src/a.ts' }], meter, omittedFiles: 2 },
      { type: 'token', turnId: 'a1', delta: 'Hel' },
      { type: 'token', turnId: 'a1', delta: 'lo' },
    ]);
    assert.equal(s.busy, true);
    assert.equal(s.streamingTurnId, 'a1');
    assert.equal(s.turns[1]?.text, 'Hello');
    assert.deepEqual(s.turns[1]?.chips, [{ path: 'src/a.ts' }]);
    const [end, change] = reduce(s, { type: 'answerEnd', turnId: 'a1', timings, finish: 'stopped' });
    assert.equal(change.kind, 'all');
    assert.equal(end.busy, false);
    assert.equal(end.streamingTurnId, undefined);
    assert.equal(end.turns[1]?.finish, 'stopped');
  });
  it('answerContext fills chips after tokens without touching the text, and a repeated start keeps text', () => {
    let s = run([
      { type: 'answerStart', turnId: 'a', chips: [], omittedFiles: 0 },
      { type: 'token', turnId: 'a', delta: 'streamed' },
    ]);
    const [next, change] = reduce(s, { type: 'answerContext', turnId: 'a', chips: [{ path: 'x.ts' }], meter, omittedFiles: 3 });
    assert.deepEqual(change, { kind: 'turn', turnId: 'a' });
    assert.equal(next.turns[0]?.text, 'streamed');
    assert.equal(next.turns[0]?.omittedFiles, 3);
    s = run([{ type: 'answerStart', turnId: 'a', chips: [], omittedFiles: 0 }], next);
    assert.equal(s.turns[0]?.text, 'streamed');
  });
  it('token messages only ask for a one-turn redraw', () => {
    const s = run([{ type: 'answerStart', turnId: 'a', chips: [], meter, omittedFiles: 0 }]);
    assert.deepEqual(reduce(s, { type: 'token', turnId: 'a', delta: 'x' })[1], { kind: 'turn', turnId: 'a' });
  });
  it('puts an error on its turn, creates the turn if the answer never started, else shows a banner', () => {
    let s = run([{ type: 'answerStart', turnId: 'a', chips: [], meter, omittedFiles: 0 }, { type: 'error', turnId: 'a', message: 'boom', actions: ['openSettings'] }]);
    assert.equal(s.turns[0]?.error, 'boom');
    assert.deepEqual(s.turns[0]?.actions, ['openSettings']);
    assert.equal(s.busy, false);
    s = run([{ type: 'error', turnId: 'b', message: 'no model', actions: ['selectModel'] }], s);
    assert.equal(s.turns.length, 2);
    assert.equal(s.turns[1]?.error, 'no model');
    s = run([{ type: 'error', message: 'adapter', actions: [] }], s);
    assert.equal(s.banner?.message, 'adapter');
    s = run([{ type: 'userTurn', turn: { id: 'u', role: 'user', text: 'again' } }], s);
    assert.equal(s.banner, undefined);
  });
  it('state replaces the conversation (restore / new chat)', () => {
    const s = run([
      { type: 'answerStart', turnId: 'a', chips: [], meter, omittedFiles: 0 },
      { type: 'state', state: { chatId: 'c2', turns: [], chats: [{ id: 'c1', title: 'old', updatedAt: 1 }], busy: false, model: { phase: 'unset' }, curatedModels: [] } },
    ]);
    assert.equal(s.chatId, 'c2');
    assert.equal(s.turns.length, 0);
    assert.equal(s.model.phase, 'unset');
    assert.equal(s.streamingTurnId, undefined);
  });
  it('progress only touches the chrome', () => {
    const [s, change] = reduce(initialState(), { type: 'progress', phase: 'reading-repository', fraction: 0.5 });
    assert.equal(change.kind, 'chrome');
    assert.equal(s.progress.fraction, 0.5);
  });
});

describe('webview format', () => {
  it('meter text shows usage and the hover shows G, W and L', () => {
    assert.equal(meterLabel(meter), '3,000 of 6,656 tokens used');
    assert.equal(meterWords(meter), 'window stretched ×3.3 from L=2,048 (group size G=4, neighbour window W=512)');
    assert.match(meterTitle(meter), /L=2,048: the window the model was trained on/);
    const t = meterTitle(meter);
    assert.match(t, /G=4/);
    assert.match(t, /W=512/);
    assert.match(t, /L=2,048/);
    assert.match(meterTitle({ ...meter, group: 1, selfExtendEnabled: false, windowTokens: 2048 }), /SelfExtend off/);
    assert.equal(meterFraction({ ...meter, usedTokens: 99999 }), 1);
    assert.equal(meterFraction({ ...meter, windowTokens: 0 }), 0);
  });
  it('timings, progress and chips read well', () => {
    assert.equal(timingsLabel(timings, 'done'), '3,000 prompt tokens (2,900 cached) · first token 0.25 s · 21.5 tok/s');
    assert.match(timingsLabel(timings, 'length'), /max new tokens/);
    assert.equal(progressLabel('loading-model', 0.421, undefined), 'Loading model 42%');
    assert.equal(progressLabel('reading-repository', undefined, '120 files'), 'Reading repository — 120 files');
    assert.equal(progressLabel('idle', undefined, undefined), '');
    assert.deepEqual(chipParts('src/deep/x.ts'), { name: 'x.ts', dir: 'src/deep' });
    assert.deepEqual(chipParts('README.md'), { name: 'README.md', dir: '' });
    assert.equal(formatBytes(1_117_320_768), '1.04 GiB');
    // One format, as the catalog writes sizes: 0.62 GiB, never 638 MiB in one place and 0.62 GiB in another.
    assert.equal(formatBytes(668_788_096), '0.62 GiB');
    assert.equal(formatBytes(2 ** 28), '256 MiB');
    assert.equal(progressLabel('reading-repository', 0, 'packing 3 of 9 files'), 'Reading repository — packing 3 of 9 files', 'no 0% next to a detail');
    assert.equal(formatBytes(512), '512 B');
  });
});
