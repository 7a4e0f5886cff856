// The conversation state machine behind every chat view (sidebar and editor panels share one):
// turns, streaming, stop, new/open/delete chat, persistence. No vscode import: host actions and the
// answer backend are injected, so tests drive it with fakes.
import type { Attachment, ChatTurn, ChatViewState, ContextChip, CuratedModelInfo, DownloadStatus, EditorFocus, ExtensionMessage, ModelStatus, ProgressPhase, WebviewMessage } from '../protocol';
import type { AnswerBackend, AnswerContext, AnswerRequest, AnswerResult, HistoryMessage, SummarizeRequest } from './answer-backend';
import { describeError } from './error-actions';
import { chatTitle, newChatId, type HistoryStore, type StoredChat } from './history-store';

/** Webview messages the controller does not handle itself (they need the editor, clipboard, pickers). */
export type HostAction = Extract<
  WebviewMessage,
  { type: 'copyCode' | 'insertCode' | 'openFile' | 'selectModel' | 'downloadModel' | 'openSettings' | 'showStatus' | 'summarizeFile' | 'cancelDownload' | 'suggestFiles' }
>;

/** Attached context read by the host: the text for the prompt, the chips to show, a line for the log. */
export interface ResolvedAttachments {
  pinned?: { label: string; text: string };
  chips: ContextChip[];
  /** e.g. "pinned context: src/a.ts, src/b.ts lines 3–8 (1,234 characters)". */
  description: string;
}

export interface CompletedAnswer {
  chatId: string;
  index: number;
  request: 'ask' | 'summarize';
  turn: ChatTurn;
}

export interface ChatControllerDeps {
  store: Pick<HistoryStore, 'save' | 'load' | 'delete' | 'list' | 'latest'> & Partial<Pick<HistoryStore, 'restore'>>;
  backend: AnswerBackend;
  hostAction(action: HostAction): void | Promise<void>;
  curatedModels: CuratedModelInfo[];
  modelStatus(): ModelStatus;
  /** Restricted Mode note for the view (workspace-trust.ts); undefined when the workspace is trusted. */
  restrictedNote?(): string | undefined;
  log(line: string): void;
  /** Status bar / output hooks. */
  onProgress?(phase: ProgressPhase, fraction?: number, detail?: string): void;
  onAnswerDone?(a: CompletedAnswer): void;
  onError?(message: string, actions: ChatTurn['actions']): void;
  /** Reads attached files/selections (the webview only names them). Without it attachments are refused. */
  resolveAttachments?(attachments: Attachment[], signal: AbortSignal): Promise<ResolvedAttachments>;
  /** A chat was deleted (moved to the trash): the host offers `undo` (history-store restore). */
  onChatDeleted?(chat: { id: string; title: string }, undo: () => Promise<void>): void;
  now?(): number;
}

type Post = (m: ExtensionMessage) => void;

let turnCounter = 0;
function turnId(prefix: string): string {
  turnCounter = (turnCounter + 1) % 1e9;
  return `${prefix}${Date.now().toString(36)}${turnCounter.toString(36)}`;
}

export class ChatController {
  private chat: StoredChat;
  private readonly views = new Set<Post>();
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private answersDone = 0;
  private restored: Promise<void>;
  private closed = false;
  private download: DownloadStatus | undefined;
  private editor: EditorFocus | undefined;

  constructor(private readonly deps: ChatControllerDeps) {
    this.chat = this.emptyChat();
    this.restored = this.restore();
  }

  get busy(): boolean {
    return this.abort !== undefined;
  }

  get chatId(): string {
    return this.chat.id;
  }

  /** Registers a view; returns the unregister function. */
  attach(post: Post): () => void {
    this.views.add(post);
    return () => this.views.delete(post);
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private emptyChat(): StoredChat {
    const t = this.now();
    return { version: 1, id: newChatId(t), title: '', createdAt: t, updatedAt: t, turns: [] };
  }

  private async restore(): Promise<void> {
    try {
      const latest = await this.deps.store.latest();
      if (latest && !this.busy && this.chat.turns.length === 0) this.chat = latest;
    } catch (e) {
      this.deps.log(`history: could not restore (${describeError(e).message})`);
    }
  }

  private broadcast(m: ExtensionMessage): void {
    for (const post of this.views) {
      try {
        post(m);
      } catch {
        // A disposed view throws; it unregisters itself on dispose.
      }
    }
  }

  async viewState(): Promise<ChatViewState> {
    await this.restored;
    let chats: ChatViewState['chats'] = [];
    try {
      chats = await this.deps.store.list();
    } catch (e) {
      this.deps.log(`history: could not list chats (${describeError(e).message})`);
    }
    const state: ChatViewState = { chatId: this.chat.id, turns: this.chat.turns, chats, busy: this.busy, model: this.deps.modelStatus(), curatedModels: this.deps.curatedModels };
    if (this.download) state.download = this.download;
    if (this.editor) state.editor = this.editor;
    const restricted = this.deps.restrictedNote?.();
    if (restricted) state.restricted = restricted;
    return state;
  }

  async pushState(): Promise<void> {
    this.broadcast({ type: 'state', state: await this.viewState() });
  }

  pushModelStatus(): void {
    this.broadcast({ type: 'model', model: this.deps.modelStatus() });
  }

  focusInput(): void {
    this.broadcast({ type: 'focusInput' });
  }

  /** Download progress and outcome, shown in the view. */
  setDownload(d: DownloadStatus): void {
    this.download = d;
    this.broadcast({ type: 'download', download: d });
  }

  /** The active editor's file and selection, offered in the composer before sending. */
  setEditorFocus(e: EditorFocus): void {
    this.editor = e;
    this.broadcast({ type: 'editorFocus', editor: e });
  }

  /** Fills the composer (e.g. "Ask about selection" attaches the selection and focuses the box). */
  compose(text: string | undefined, attachments: Attachment[]): void {
    this.broadcast({ type: 'compose', ...(text ? { text } : {}), attachments });
  }

  broadcastMessage(m: ExtensionMessage): void {
    this.broadcast(m);
  }

  /**
   * A model was chosen (setting changed or download finished): exchanges that failed only because no
   * usable model was set are stale now, so they leave the chat instead of staying on screen.
   */
  async modelChanged(): Promise<void> {
    await this.restored;
    if (this.busy) return;
    const stale = (a: ChatTurn | undefined): boolean => a?.role === 'assistant' && !!a.error && (a.actions ?? []).includes('selectModel');
    const kept: ChatTurn[] = [];
    const turns = this.chat.turns;
    let removed = 0;
    for (let i = 0; i < turns.length; i++) {
      const t = turns[i]!;
      if (t.role === 'user' && stale(turns[i + 1])) {
        i++;
        removed++;
        continue;
      }
      if (stale(t)) {
        removed++;
        continue;
      }
      kept.push(t);
    }
    if (this.download?.state === 'failed' || this.download?.state === 'cancelled') this.download = undefined;
    if (removed > 0) {
      this.chat.turns = kept;
      if (kept.length === 0) this.chat.title = '';
      else if (this.hasAnswer(this.chat)) await this.save(this.chat);
    }
    await this.pushState();
  }

  private hasAnswer(chat: StoredChat): boolean {
    return chat.turns.some((t) => t.role === 'assistant' && !t.error);
  }

  private async save(chat: StoredChat): Promise<void> {
    try {
      await this.deps.store.save(chat);
    } catch (e) {
      this.deps.log(`history: could not save chat (${describeError(e).message})`);
    }
  }

  /** Entry point for validated webview messages. Never throws. */
  async handle(msg: WebviewMessage): Promise<void> {
    try {
      switch (msg.type) {
        case 'ready':
          return await this.pushState();
        case 'ask':
          return await this.ask(msg.text, msg.attachments ?? [], msg.replaceFrom);
        case 'regenerate':
          return await this.regenerate(msg.turnId);
        case 'copyAnswer': {
          const turn = this.chat.turns.find((t) => t.id === msg.turnId);
          if (turn?.text) await this.deps.hostAction({ type: 'copyCode', code: turn.text });
          return;
        }
        case 'stop':
          return this.stop();
        case 'newChat':
          return await this.newChat();
        case 'openChat':
          return await this.openChat(msg.chatId);
        case 'deleteChat':
          return await this.deleteChat(msg.chatId);
        case 'focusChanged':
          return; // the webview glue sets the selfextend.chatFocused context key; nothing in the conversation changes
        default:
          return await this.deps.hostAction(msg);
      }
    } catch (e) {
      const err = describeError(e);
      this.deps.log(`error handling '${msg.type}': ${err.detail ?? err.message}`);
      this.broadcast({ type: 'error', message: err.message, actions: err.actions });
    }
  }

  stop(): void {
    this.abort?.abort();
  }

  /** Resolves when the current answer (if any) has finished and been saved. */
  async idle(): Promise<void> {
    await this.running;
  }

  async newChat(): Promise<void> {
    if (this.busy) {
      this.stop();
      await this.idle();
    }
    await this.restored;
    this.deps.backend.forget?.(this.chat.id);
    this.chat = this.emptyChat();
    await this.pushState();
    this.focusInput();
  }

  async openChat(id: string): Promise<void> {
    if (id === this.chat.id) return;
    if (this.busy) {
      this.stop();
      await this.idle();
    }
    const c = await this.deps.store.load(id);
    if (c) {
      this.deps.backend.forget?.(this.chat.id);
      this.chat = c;
    }
    await this.pushState();
  }

  async deleteChat(id: string): Promise<void> {
    if (id === this.chat.id) {
      if (this.busy) {
        this.stop();
        await this.idle();
      }
      this.chat = this.emptyChat();
    }
    this.deps.backend.forget?.(id);
    const title = (await this.deps.store.list()).find((c) => c.id === id)?.title ?? '';
    await this.deps.store.delete(id);
    await this.pushState();
    const { restore } = this.deps.store;
    if (restore) this.deps.onChatDeleted?.({ id, title }, async () => {
      if (await restore.call(this.deps.store, id)) await this.pushState();
    });
  }

  /**
   * Asks a question. `replaceFrom` (Edit & resend, Regenerate, Retry) is an earlier user turn of this
   * chat: it and everything after it are replaced by the new exchange.
   */
  async ask(question: string, attachments: Attachment[] = [], replaceFrom?: string): Promise<void> {
    await this.restored;
    if (this.busy) return this.refuseBusy();
    if (replaceFrom !== undefined) {
      const at = this.chat.turns.findIndex((t) => t.id === replaceFrom && t.role === 'user');
      if (at < 0) throw new Error('That question is no longer in this chat.');
      this.chat.turns = this.chat.turns.slice(0, at);
      await this.pushState();
    }
    const history: HistoryMessage[] = [];
    for (let i = 0; i + 1 < this.chat.turns.length; i++) {
      const q = this.chat.turns[i]!;
      const a = this.chat.turns[i + 1]!;
      if (q.role === 'user' && a.role === 'assistant' && !a.error && a.text) {
        history.push({ role: 'user', content: q.text }, { role: 'assistant', content: a.text });
        i++;
      }
    }
    const resolve = this.deps.resolveAttachments;
    if (attachments.length > 0 && !resolve) throw new Error('Attached files are not supported here.');
    await this.run(question, 'ask', async (signal) => {
      const r = attachments.length > 0 ? await resolve!(attachments, signal) : undefined;
      if (r) this.deps.log(r.description);
      const req: AnswerRequest = { kind: 'ask', chatId: this.chat.id, question, history, signal, ...(r?.pinned ? { pinned: r.pinned } : {}) };
      return { request: req, chips: r?.chips ?? [] };
    }, attachments);
  }

  /** Regenerate (or Retry after an error): the question before `answerId` is asked again in its place. */
  async regenerate(answerId: string): Promise<void> {
    await this.restored;
    const at = this.chat.turns.findIndex((t) => t.id === answerId);
    const question = at > 0 ? this.chat.turns[at - 1] : undefined;
    if (!question || question.role !== 'user') throw new Error('That answer is no longer in this chat.');
    if (question.request === 'summarize') throw new Error('Run the summary again from the editor (SelfExtend: Summarize Current File).');
    await this.ask(question.text, question.attachments ?? [], question.id);
  }

  private refuseBusy(): void {
    this.broadcast({ type: 'error', message: 'An answer is still being generated. Stop it first, or wait for it to finish.', actions: [] });
  }

  /** A summary goes into a chat of its own, titled with the file (a new one unless the current chat is empty). */
  async summarize(label: string, text: string, selection?: { startLine: number; endLine: number }, confirmLarge?: SummarizeRequest['confirmLarge']): Promise<void> {
    const what = selection ? `Summarize ${label} lines ${selection.startLine}–${selection.endLine}` : `Summarize ${label}`;
    await this.restored;
    if (!this.busy && this.chat.turns.length > 0) {
      this.deps.backend.forget?.(this.chat.id);
      this.chat = this.emptyChat();
      await this.pushState();
    }
    if (!this.busy && this.chat.turns.length === 0) this.chat.title = `Summary: ${selection ? `${label} lines ${selection.startLine}–${selection.endLine}` : label}`;
    await this.run(what, 'summarize', async (signal) => ({ request: { kind: 'summarize', chatId: this.chat.id, label, text, selection, signal, ...(confirmLarge ? { confirmLarge } : {}) }, chips: [] }));
  }

  /** Extension shutdown: stops the running answer, waits until it is saved, and accepts no new ones. */
  async dispose(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.idle();
    this.views.clear();
  }

  private async run(
    userText: string,
    kind: 'ask' | 'summarize',
    makeRequest: (signal: AbortSignal) => Promise<{ request: AnswerRequest; chips: ContextChip[] }>,
    attachments: Attachment[] = [],
  ): Promise<void> {
    await this.restored;
    if (this.closed) return;
    if (this.busy) return this.refuseBusy();
    const abort = new AbortController();
    this.abort = abort;
    let release!: () => void;
    this.running = new Promise<void>((r) => (release = r));
    const chat = this.chat;
    const user: ChatTurn = { id: turnId('u'), role: 'user', text: userText, request: kind };
    if (attachments.length) user.attachments = attachments;
    let pinnedChips: ContextChip[] = [];
    const withPinned = (chips: ContextChip[]): ContextChip[] => [...pinnedChips, ...chips.filter((c) => !pinnedChips.some((p) => p.path === c.path))];
    const answer: ChatTurn = { id: turnId('a'), role: 'assistant', text: '' };
    chat.turns.push(user);
    if (!chat.title) chat.title = chatTitle(chat.turns);
    this.broadcast({ type: 'userTurn', turn: user });
    let started = false;
    const progress = (phase: ProgressPhase, fraction?: number, detail?: string): void => {
      this.broadcast({ type: 'progress', phase, fraction, detail });
      this.deps.onProgress?.(phase, fraction, detail);
    };
    // The answer starts at its first context or token, whichever comes first; a context that
    // arrives later (files are known only after gathering) updates the chips in place.
    const start = (): void => {
      if (started) return;
      started = true;
      chat.turns.push(answer);
      this.broadcast({ type: 'answerStart', turnId: answer.id, chips: answer.chips ?? [], meter: answer.meter, omittedFiles: answer.omittedFiles ?? 0, leftOut: answer.leftOut });
    };
    try {
      const made = await makeRequest(abort.signal);
      pinnedChips = made.chips;
      const result: AnswerResult = await this.deps.backend.answer(made.request, {
        progress,
        context: (ctx: AnswerContext) => {
          const chips = withPinned(ctx.chips);
          Object.assign(answer, { chips, meter: ctx.meter, omittedFiles: ctx.omittedFiles }, ctx.leftOut?.length ? { leftOut: ctx.leftOut } : {});
          if (!started) start();
          else this.broadcast({ type: 'answerContext', turnId: answer.id, chips, meter: ctx.meter, omittedFiles: ctx.omittedFiles, leftOut: answer.leftOut });
        },
        token: (text: string) => {
          if (text === '') return;
          start();
          answer.text += text;
          this.broadcast({ type: 'token', turnId: answer.id, delta: text });
        },
        part: (part) => {
          start();
          answer.parts = [...(answer.parts ?? []), part];
          this.broadcast({ type: 'summaryPart', turnId: answer.id, part });
        },
      });
      if (!started) chat.turns.push(answer);
      const finish = abort.signal.aborted && result.finish === 'done' ? 'stopped' : result.finish;
      answer.timings = result.timings;
      answer.finish = finish;
      if (result.promptFallback !== undefined) answer.promptFallback = result.promptFallback;
      this.broadcast({ type: 'answerEnd', turnId: answer.id, timings: result.timings, finish, ...(answer.promptFallback !== undefined ? { promptFallback: answer.promptFallback } : {}) });
    } catch (e) {
      const err = describeError(e);
      if (!started) chat.turns.push(answer);
      if (err.cancelled) {
        answer.finish = 'stopped';
        const zero = { promptTokens: 0, cachedTokens: 0, generatedTokens: 0, ttftMs: 0, decodeTps: 0, totalMs: 0 };
        answer.timings = answer.timings ?? zero;
        this.broadcast({ type: 'answerEnd', turnId: answer.id, timings: answer.timings, finish: 'stopped' });
      } else {
        answer.finish = 'error';
        answer.error = err.message;
        answer.actions = err.actions;
        this.deps.log(`error: ${err.detail ?? err.message}`);
        this.broadcast({ type: 'error', turnId: answer.id, message: err.message, actions: err.actions });
        this.deps.onError?.(err.message, err.actions);
      }
    } finally {
      this.abort = undefined;
      progress('idle');
      chat.updatedAt = this.now();
      // A chat whose every request failed is not worth a history entry (it stays on screen with Retry).
      if (this.hasAnswer(chat)) await this.save(chat);
      const index = ++this.answersDone;
      try {
        this.deps.onAnswerDone?.({ chatId: chat.id, index, request: kind, turn: answer });
      } catch {
        // Hooks must not break the chat.
      }
      release();
      // The history list changed (new title / order); refresh it in the views.
      if (chat === this.chat) await this.pushState();
    }
  }
}
