// Chat history on disk: one JSON file per chat under the extension's globalStorage folder, so
// conversations survive reloads and webview disposal. Node fs only (no vscode) to test in a temp dir.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChatSummary, ChatTurn, ContextChip, FinishKind, SummaryPart } from '../protocol';
import { isErrorAction } from '../protocol';

export interface StoredChat {
  version: 1;
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: ChatTurn[];
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const FINISH: readonly FinishKind[] = ['done', 'length', 'stopped', 'context-full', 'error'];
/** Old chats beyond this are pruned so the folder stays bounded. */
export const MAX_CHATS = 200;

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

export class HistoryStore {
  private readonly dir: string;

  constructor(storageDir: string) {
    this.dir = join(storageDir, 'chats');
  }

  private file(id: string): string {
    if (!ID.test(id)) throw new Error(`invalid chat id '${id}'`);
    return join(this.dir, `${id}.json`);
  }

  async load(id: string): Promise<StoredChat | undefined> {
    try {
      return parseStoredChat(JSON.parse(await readFile(this.file(id), 'utf8')));
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
  }

  async delete(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  /** Newest first; unreadable files are skipped. Prunes beyond MAX_CHATS. */
  async list(): Promise<ChatSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const chats: StoredChat[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const c = await this.load(n.slice(0, -5));
      if (c && c.turns.length > 0) chats.push(c);
    }
    chats.sort((a, b) => b.updatedAt - a.updatedAt);
    for (const old of chats.splice(MAX_CHATS)) await this.delete(old.id);
    return chats.map((c) => ({ id: c.id, title: c.title, updatedAt: c.updatedAt }));
  }

  /** The chat to show on startup: the most recently updated one. */
  async latest(): Promise<StoredChat | undefined> {
    const [first] = await this.list();
    return first ? this.load(first.id) : undefined;
  }
}
