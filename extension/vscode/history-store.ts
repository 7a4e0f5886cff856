// Chat history on disk: one JSON file per chat under the extension's globalStorage folder, so
// conversations survive reloads and webview disposal, a small index for the list, and a trash
// folder that makes Delete undoable. Node fs only (no vscode) to test in a temp dir.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChatSummary, ChatTurn, ContextChip, FinishKind, SummaryPart } from '../protocol';
import { isErrorAction, LIMITS } from '../protocol';

export interface StoredChat {
  version: 1;
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: ChatTurn[];
}

/** The protocol's chat ids (extension/protocol.ts: [A-Za-z0-9_-], up to LIMITS.idChars): one rule on both sides. */
const ID = new RegExp(`^[A-Za-z0-9_-]{1,${LIMITS.idChars}}$`);
const FINISH: readonly FinishKind[] = ['done', 'length', 'stopped', 'context-full', 'error'];

export function newChatId(now = Date.now()): string {
  return `c${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function chatTitle(turns: readonly ChatTurn[]): string {
  const first = turns.find((t) => t.role === 'user')?.text.replace(/\s+/g, ' ').trim() ?? '';
  return first.length > 60 ? `${first.slice(0, 57)}…` : first;
}

function isRec(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Files may be hand-edited, truncated by a crash, or from a future version: keep only well-formed
// fields instead of trusting the JSON, and drop what cannot be understood.
function parseTurn(v: unknown): ChatTurn | undefined {
  if (!isRec(v) || typeof v.id !== 'string' || (v.role !== 'user' && v.role !== 'assistant') || typeof v.text !== 'string') return undefined;
  const t: ChatTurn = { id: v.id, role: v.role, text: v.text };
  if (Array.isArray(v.chips)) {
    t.chips = v.chips.filter((c): c is ContextChip => isRec(c) && typeof c.path === 'string').map((c) => ({ path: c.path, ...(typeof c.tokens === 'number' ? { tokens: c.tokens } : {}), ...(c.partial === true ? { partial: true } : {}) }));
  }
  if (typeof v.omittedFiles === 'number') t.omittedFiles = v.omittedFiles;
  if (isRec(v.meter) && ['usedTokens', 'windowTokens', 'group', 'neighbor', 'trained'].every((k) => typeof (v.meter as Record<string, unknown>)[k] === 'number')) {
    const m = v.meter as Record<string, number | boolean>;
    t.meter = { usedTokens: m.usedTokens as number, windowTokens: m.windowTokens as number, group: m.group as number, neighbor: m.neighbor as number, trained: m.trained as number, selfExtendEnabled: m.selfExtendEnabled === true };
  }
  if (isRec(v.timings) && ['promptTokens', 'cachedTokens', 'generatedTokens', 'ttftMs', 'decodeTps', 'totalMs'].every((k) => typeof (v.timings as Record<string, unknown>)[k] === 'number')) {
    const x = v.timings as Record<string, number>;
    t.timings = { promptTokens: x.promptTokens!, cachedTokens: x.cachedTokens!, generatedTokens: x.generatedTokens!, ttftMs: x.ttftMs!, decodeTps: x.decodeTps!, totalMs: x.totalMs! };
    const sp = (v.timings as Record<string, unknown>).summaryParts;
    if (isRec(sp) && typeof sp.done === 'number' && typeof sp.total === 'number') t.timings.summaryParts = { done: sp.done, total: sp.total };
  }
  if (Array.isArray(v.parts)) {
    const nums = ['index', 'count', 'startLine', 'endLine'];
    t.parts = v.parts.filter((p): p is SummaryPart => isRec(p) && typeof p.text === 'string' && nums.every((k) => typeof p[k] === 'number'))
      .map((p) => ({ index: p.index, count: p.count, startLine: p.startLine, endLine: p.endLine, text: p.text }));
  }
  if (typeof v.finish === 'string' && (FINISH as readonly string[]).includes(v.finish)) t.finish = v.finish as FinishKind;
  if (typeof v.promptFallback === 'string') t.promptFallback = v.promptFallback;
  if (typeof v.error === 'string') t.error = v.error;
  if (Array.isArray(v.actions)) t.actions = v.actions.filter(isErrorAction);
  return t;
}

export function parseStoredChat(raw: unknown): StoredChat | undefined {
  if (!isRec(raw) || raw.version !== 1 || typeof raw.id !== 'string' || !ID.test(raw.id) || !Array.isArray(raw.turns)) return undefined;
  const turns = raw.turns.map(parseTurn).filter((t): t is ChatTurn => t !== undefined);
  const updatedAt = typeof raw.updatedAt === 'number' ? raw.updatedAt : 0;
  return {
    version: 1,
    id: raw.id,
    title: typeof raw.title === 'string' ? raw.title : chatTitle(turns),
    createdAt: typeof raw.createdAt === 'number' ? raw.createdAt : updatedAt,
    updatedAt,
    turns,
  };
}

/** What the chat list shows, kept in a small index so listing never parses the chats themselves. */
interface IndexEntry {
  title: string;
  updatedAt: number;
  /** The chat file's size and modification time when the entry was made: a change means re-read it. */
  size: number;
  mtimeMs: number;
}

interface IndexFile {
  version: 1;
  chats: Record<string, IndexEntry>;
}

/** Deleted chats stay in the trash folder this long (so Undo works across a reload), then go. */
export const TRASH_DAYS = 30;

/**
 * One JSON file per chat in `chats/`, named by the chat's id (the file name is the id: a file whose
 * inner id differs is still opened, saved and deleted under its file name). `chats-index.json` holds
 * the list (title, time) so listing costs a directory read, not a parse of every chat. Nothing is
 * ever removed without the user's Delete, and Delete moves the file to `chats-trash/`, from which
 * restore() brings it back.
 */
export class HistoryStore {
  private readonly dir: string;
  private readonly trashDir: string;
  private readonly indexFile: string;
  private index: IndexFile | undefined;

  constructor(storageDir: string) {
    this.dir = join(storageDir, 'chats');
    this.trashDir = join(storageDir, 'chats-trash');
    this.indexFile = join(storageDir, 'chats-index.json');
  }

  private file(id: string, dir = this.dir): string {
    if (!ID.test(id)) throw new Error(`invalid chat id '${id}'`);
    return join(dir, `${id}.json`);
  }

  async load(id: string): Promise<StoredChat | undefined> {
    try {
      const raw = JSON.parse(await readFile(this.file(id), 'utf8')) as unknown;
      // The file name is the chat's identity (what the list shows, what save and delete use), whatever id is written inside.
      return parseStoredChat(isRec(raw) ? { ...raw, id } : raw);
    } catch {
      return undefined;
    }
  }

  /** Writes atomically (temp file + rename) so a crash mid-write never leaves a half chat. */
  async save(chat: StoredChat): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.file(chat.id);
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(chat), 'utf8');
    await rename(tmp, target);
    const index = await this.readIndex();
    const st = await stat(target);
    if (chat.turns.length > 0) index.chats[chat.id] = { title: chat.title, updatedAt: chat.updatedAt, size: st.size, mtimeMs: st.mtimeMs };
    else delete index.chats[chat.id];
    await this.writeIndex(index);
  }

  /** Moves the chat to the trash (restore() undoes it); a missing chat is not an error. */
  async delete(id: string): Promise<void> {
    const from = this.file(id);
    await mkdir(this.trashDir, { recursive: true });
    try {
      await rename(from, this.file(id, this.trashDir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const index = await this.readIndex();
    if (id in index.chats) {
      delete index.chats[id];
      await this.writeIndex(index);
    }
  }

  /** Undoes delete(): the chat comes back from the trash. Returns whether there was one to restore. */
  async restore(id: string): Promise<boolean> {
    const from = this.file(id, this.trashDir);
    await mkdir(this.dir, { recursive: true });
    try {
      await rename(from, this.file(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    await this.list(); // re-indexes the restored file
    return true;
  }

  /**
   * Every chat with at least one turn, newest first, from the index; files the index does not know
   * (or that changed on disk) are read once and added. Unreadable files are skipped, never removed.
   */
  async list(): Promise<ChatSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const index = await this.readIndex();
    let changed = false;
    const present = new Set<string>();
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const id = n.slice(0, -5);
      if (!ID.test(id)) continue;
      present.add(id);
      let st;
      try {
        st = await stat(join(this.dir, n));
      } catch {
        continue;
      }
      const known = index.chats[id];
      if (known && known.size === st.size && Math.floor(known.mtimeMs) === Math.floor(st.mtimeMs)) continue; // whole ms: utimes and some file systems keep no more
      const c = await this.load(id);
      if (c && c.turns.length > 0) index.chats[id] = { title: c.title, updatedAt: c.updatedAt, size: st.size, mtimeMs: st.mtimeMs };
      else delete index.chats[id];
      changed = true;
    }
    for (const id of Object.keys(index.chats)) {
      if (!present.has(id)) {
        delete index.chats[id];
        changed = true;
      }
    }
    if (changed) await this.writeIndex(index);
    void this.emptyOldTrash();
    return Object.entries(index.chats)
      .map(([id, e]) => ({ id, title: e.title, updatedAt: e.updatedAt }))
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
  }

  /** The chat to show on startup: the most recently updated one. */
  async latest(): Promise<StoredChat | undefined> {
    const [first] = await this.list();
    return first ? this.load(first.id) : undefined;
  }

  private async readIndex(): Promise<IndexFile> {
    if (this.index) return this.index;
    try {
      const raw = JSON.parse(await readFile(this.indexFile, 'utf8')) as unknown;
      if (isRec(raw) && raw.version === 1 && isRec(raw.chats)) {
        const chats: Record<string, IndexEntry> = {};
        for (const [id, e] of Object.entries(raw.chats)) {
          if (ID.test(id) && isRec(e) && typeof e.title === 'string' && typeof e.updatedAt === 'number' && typeof e.size === 'number' && typeof e.mtimeMs === 'number') {
            chats[id] = { title: e.title, updatedAt: e.updatedAt, size: e.size, mtimeMs: e.mtimeMs };
          }
        }
        this.index = { version: 1, chats };
        return this.index;
      }
    } catch {
      // Missing or damaged: rebuilt from the chat files by list().
    }
    this.index = { version: 1, chats: {} };
    return this.index;
  }

  private async writeIndex(index: IndexFile): Promise<void> {
    this.index = index;
    await mkdir(dirname(this.indexFile), { recursive: true });
    const tmp = `${this.indexFile}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(index), 'utf8');
    await rename(tmp, this.indexFile);
  }

  /** Chats deleted more than TRASH_DAYS ago (by the time they were moved to the trash) are removed for good. */
  private async emptyOldTrash(): Promise<void> {
    try {
      const cutoff = Date.now() - TRASH_DAYS * 86_400_000;
      for (const n of await readdir(this.trashDir)) {
        const f = join(this.trashDir, n);
        if ((await stat(f)).ctimeMs < cutoff) await rm(f, { force: true });
      }
    } catch {
      // No trash yet, or a file vanished meanwhile.
    }
  }
}
