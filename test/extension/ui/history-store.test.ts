import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile, readdir, mkdir, readFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryStore, chatTitle, newChatId, parseStoredChat, type StoredChat } from '../../../extension/vscode/history-store';
import { ChatController, type ChatControllerDeps } from '../../../extension/vscode/chat-controller';
import { LIMITS, parseWebviewMessage, ProtocolError } from '../../../extension/protocol';

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
      { id: 'a', role: 'assistant', text: 'yo', chips: [{ path: 'a.ts' }, { nope: 1 }], actions: ['selectModel', 'rm -rf'], finish: 'weird', meter: { usedTokens: 'lots' }, promptFallback: 7 },
      { id: 'b', role: 'assistant', text: 'ok', promptFallback: 'the model has no chat template' },
    ] });
    assert.ok(parsed);
    assert.equal(parsed.turns.length, 3);
    assert.deepEqual(parsed.turns[0], { id: 'u', role: 'user', text: 'hi' });
    assert.deepEqual(parsed.turns[1], { id: 'a', role: 'assistant', text: 'yo', chips: [{ path: 'a.ts' }], actions: ['selectModel'] });
    assert.deepEqual(parsed.turns[2], { id: 'b', role: 'assistant', text: 'ok', promptFallback: 'the model has no chat template' });
    assert.equal(parsed.title, 'hi');
  });
  it('makes unique ids and short titles', async () => {
    assert.notEqual(newChatId(1), newChatId(1));
    assert.match(newChatId(), /^[A-Za-z0-9_-]+$/);
    assert.equal(chatTitle([{ id: 'u', role: 'user', text: 'a\n  b '.repeat(30) }]).length, 58);
    await mkdir(dir, { recursive: true });
  });
});

// Issue 13 finding 4: chat history is never lost without the user's action.
describe('extension/vscode HistoryStore keeps every chat (issue 13 finding 4)', () => {
  let dir = '';
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'se-history4-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('lists all 250 chats and deletes none (chats beyond 200 used to be deleted when the list refreshed)', async () => {
    const s = new HistoryStore(dir);
    for (let i = 0; i < 250; i++) await s.save(chat(`c${i}`, 1000 + i));
    assert.equal((await s.list()).length, 250);
    assert.equal((await new HistoryStore(dir).list()).length, 250);
    assert.equal((await readdir(join(dir, 'chats'))).length, 250);
  });

  it('accepts every chat id the protocol accepts, and only those', async () => {
    const s = new HistoryStore(dir);
    for (const len of [64, 65, 100, LIMITS.idChars]) {
      const id = 'a'.repeat(len);
      assert.ok(!(parseWebviewMessage({ type: 'deleteChat', chatId: id }) instanceof ProtocolError));
      await s.save(chat(id, len));
      assert.equal((await s.load(id))?.id, id);
      await s.delete(id);
      assert.equal(await s.load(id), undefined);
    }
    const tooLong = 'a'.repeat(LIMITS.idChars + 1);
    assert.ok(parseWebviewMessage({ type: 'deleteChat', chatId: tooLong }) instanceof ProtocolError);
    await assert.rejects(s.save(chat(tooLong, 1)), /invalid chat id/);
  });

  it('lists, opens and deletes a chat file whose inner id differs from its file name', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100));
    await writeFile(join(dir, 'chats', 'renamed.json'), JSON.stringify(chat('something-else entirely!', 200, 'moved file')));
    assert.deepEqual((await s.list()).map((c) => c.id), ['renamed', 'c1']);
    assert.equal((await s.load('renamed'))?.title, 'moved file');
    await s.delete('renamed');
    assert.deepEqual((await s.list()).map((c) => c.id), ['c1']);
    assert.deepEqual(await readdir(join(dir, 'chats')), ['c1.json']);
  });

  it('lists from the index without reading the chats again (a file changed behind its back keeps its indexed title)', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100, 'indexed title'));
    const f = join(dir, 'chats', 'c1.json');
    const t = 1_700_000_000; // whole seconds: exact on every file system
    await utimes(f, t, t);
    assert.deepEqual((await s.list()).map((c) => c.title), ['indexed title']); // re-indexed: the time changed
    // Same size and modification time, different content: only a re-parse would notice.
    await writeFile(f, (await readFile(f, 'utf8')).replace('indexed title', 'changed title'));
    await utimes(f, t, t);
    assert.deepEqual((await new HistoryStore(dir).list()).map((c) => c.title), ['indexed title']);
    // A real change (new mtime) is picked up.
    await utimes(f, t, t + 5);
    assert.deepEqual((await new HistoryStore(dir).list()).map((c) => c.title), ['changed title']);
  });

  it('rebuilds a missing or damaged index from the chat files', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100));
    await s.save(chat('c2', 200));
    await writeFile(join(dir, 'chats-index.json'), '{"version":1,"chats":{"c1":');
    assert.deepEqual((await new HistoryStore(dir).list()).map((c) => c.id), ['c2', 'c1']);
    await rm(join(dir, 'chats-index.json'));
    assert.deepEqual((await new HistoryStore(dir).list()).map((c) => c.id), ['c2', 'c1']);
  });

  it('Delete moves the chat to the trash and restore() undoes it, also after a reload', async () => {
    const s = new HistoryStore(dir);
    await s.save(chat('c1', 100, 'keep me'));
    await s.delete('c1');
    assert.deepEqual(await s.list(), []);
    assert.deepEqual(await readdir(join(dir, 'chats-trash')), ['c1.json']);
    const again = new HistoryStore(dir);
    assert.equal(await again.restore('c1'), true);
    assert.deepEqual((await again.list()).map((c) => c.title), ['keep me']);
    assert.deepEqual(await again.load('c1'), chat('c1', 100, 'keep me'));
    assert.equal(await again.restore('never-deleted'), false);
  });

  it('the controller reports a Delete with an undo that brings the chat back', async () => {
    const store = new HistoryStore(dir);
    await store.save(chat('c1', 100, 'precious'));
    const deleted: { id: string; title: string }[] = [];
    let undo: (() => Promise<void>) | undefined;
    const controller = new ChatController({
      store,
      backend: { answer: async () => { throw new Error('not used'); } } as unknown as ChatControllerDeps['backend'],
      hostAction: () => undefined,
      curatedModels: [],
      modelStatus: () => ({ state: 'none' }) as unknown as ReturnType<ChatControllerDeps['modelStatus']>,
      log: () => undefined,
      onChatDeleted: (c, u) => { deleted.push(c); undo = u; },
    });
    await controller.handle({ type: 'deleteChat', chatId: 'c1' });
    assert.deepEqual(deleted, [{ id: 'c1', title: 'precious' }]);
    assert.deepEqual(await store.list(), []);
    await undo!();
    assert.deepEqual((await store.list()).map((c) => c.id), ['c1']);
  });
});
