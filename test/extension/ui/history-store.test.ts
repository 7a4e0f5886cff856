import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile, readdir, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryStore, chatTitle, newChatId, parseStoredChat, type StoredChat } from '../../../extension/vscode/history-store';

function chat(id: string, updatedAt: number, question = 'What does the engine do?'): StoredChat {
  return {
    version: 1, id, title: chatTitle([{ id: 'u', role: 'user', text: question }]), createdAt: updatedAt, updatedAt,
    turns: [
      { id: 'u', role: 'user', text: question },
      { id: 'a', role: 'assistant', text: 'It runs **models**.', chips: [{ path: 'gpu/engine/types.ts', tokens: 900 }], finish: 'done',
        meter: { usedTokens: 1000, windowTokens: 6656, group: 4, neighbor: 512, trained: 2048, selfExtendEnabled: true },
        timings: { promptTokens: 1000, cachedTokens: 0, generatedTokens: 5, ttftMs: 10, decodeTps: 50, totalMs: 110 } },
    ],
  };
}

describe('extension/vscode HistoryStore', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-history-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('round-trips a chat and lists newest first (restored as after a reload)', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100, 'first'));
    await s.save(chat('c2', 200, 'second'));
    const again = new HistoryStore(dir); // a new instance = a window reload
    assert.deepEqual((await again.list()).map((c) => c.id), ['c2', 'c1']);
    assert.deepEqual(await again.load('c1'), chat('c1', 100, 'first'));
    assert.equal((await again.latest())?.id, 'c2');
    assert.deepEqual(await readdir(join(dir, 'chats')), ['c1.json', 'c2.json'], 'no temp files left behind');
  });
  it('deletes, and ignores corrupt or foreign files', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100));
    await writeFile(join(dir, 'chats', 'bad.json'), '{"version":1,"id":"bad","turns":[');
    await writeFile(join(dir, 'chats', 'future.json'), JSON.stringify({ version: 2, id: 'future', turns: [] }));
    await writeFile(join(dir, 'chats', 'notes.txt'), 'x');
    assert.deepEqual((await s.list()).map((c) => c.id), ['c1']);
    await s.delete('c1');
    assert.deepEqual(await s.list(), []);
    assert.equal(await s.load('c1'), undefined);
  });
  it('lists nothing when the folder does not exist yet', async () => {
    assert.deepEqual(await new HistoryStore(join(dir, 'missing')).list(), []);
  });
  it('refuses ids that could escape the folder', async () => {
    const s = new HistoryStore(dir);
    await assert.rejects(s.save({ ...chat('x', 1), id: '../../evil' }), /invalid chat id/);
    assert.equal(await s.load('../x'), undefined);
  });
  it('keeps only well-formed fields from disk', () => {
    const parsed = parseStoredChat({ version: 1, id: 'c', updatedAt: 5, turns: [
      { id: 'u', role: 'user', text: 'hi', extra: 1 },
      { id: 'x', role: 'system', text: 'nope' },
      { id: 'a', role: 'assistant', text: 'yo', chips: [{ path: 'a.ts' }, { nope: 1 }], actions: ['selectModel', 'rm -rf'], finish: 'weird', meter: { usedTokens: 'lots' } },
    ] });
    assert.ok(parsed);
    assert.equal(parsed.turns.length, 2);
    assert.deepEqual(parsed.turns[0], { id: 'u', role: 'user', text: 'hi' });
    assert.deepEqual(parsed.turns[1], { id: 'a', role: 'assistant', text: 'yo', chips: [{ path: 'a.ts' }], actions: ['selectModel'] });
    assert.equal(parsed.title, 'hi');
  });
  it('makes unique ids and short titles', async () => {
    assert.notEqual(newChatId(1), newChatId(1));
    assert.match(newChatId(), /^[A-Za-z0-9_-]+$/);
    assert.equal(chatTitle([{ id: 'u', role: 'user', text: 'a\n  b '.repeat(30) }]).length, 58);
    await mkdir(dir, { recursive: true });
  });
});
