import { strict as assert } from 'node:assert';
import { mkdtemp, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerMarker, markerDir, writeAnswerMarker, writeMarker } from '../../../extension/vscode/e2e-markers';

describe('extension/vscode e2e markers', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-markers-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('is off unless E2E_MARKER_DIR is set', () => {
    assert.equal(markerDir({}), undefined);
    assert.equal(markerDir({ E2E_MARKER_DIR: '  ' }), undefined);
    assert.equal(markerDir({ E2E_MARKER_DIR: '/x' }), '/x');
    writeMarker('x.json', {}, undefined); // no directory: nothing happens, nothing throws
  });
  it('writes answer-<n>.json with files, group, window and text, and no temp files', async () => {
    const turn = { id: 'a', role: 'assistant' as const, text: 'Answer', chips: [{ path: 'src/a.ts' }], finish: 'done' as const,
      meter: { usedTokens: 10, windowTokens: 100, group: 4, neighbor: 32, trained: 64, selfExtendEnabled: true } };
    writeAnswerMarker({ chatId: 'c', index: 3, request: 'ask', turn }, join(dir, 'm'));
    assert.deepEqual(await readdir(join(dir, 'm')), ['answer-3.json']);
    const m = JSON.parse(await readFile(join(dir, 'm', 'answer-3.json'), 'utf8'));
    assert.deepEqual([m.files, m.group, m.window, m.text, m.kind, m.finish], [['src/a.ts'], 4, 32, 'Answer', 'ask', 'done']);
    const failed = answerMarker({ chatId: 'c', index: 1, request: 'ask', turn: { id: 'b', role: 'assistant', text: '', error: 'bad path', actions: ['selectModel'], finish: 'error' } });
    assert.deepEqual([failed.error, failed.actions, failed.group], ['bad path', ['selectModel'], null]);
  });
});
