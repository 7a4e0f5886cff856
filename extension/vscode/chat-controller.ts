// The conversation state machine behind every chat view (sidebar and editor panels share one):
// turns, streaming, stop, new/open/delete chat, persistence. No vscode import: host actions and the
// answer backend are injected, so tests drive it with fakes.
import type { ChatTurn, ChatViewState, CuratedModelInfo, ExtensionMessage, ModelStatus, ProgressPhase, WebviewMessage } from '../protocol';
import type { AnswerBackend, AnswerContext, AnswerRequest, AnswerResult, HistoryMessage, SummarizeRequest } from './answer-backend';
import { describeError } from './error-actions';
import { chatTitle, newChatId, type HistoryStore, type StoredChat } from './history-store';

/** Webview messages the controller does not handle itself (they need the editor, clipboard, pickers). */
export type HostAction = Extract<WebviewMessage, { type: 'copyCode' | 'insertCode' | 'openFile' | 'selectModel' | 'downloadModel' | 'openSettings' | 'showStatus' }>;

export interface CompletedAnswer {
  chatId: string;
  index: number;
  request: 'ask' | 'summarize';
  turn: ChatTurn;
}

export interface ChatControllerDeps {
  store: Pick<HistoryStore, 'save' | 'load' | 'delete' | 'list' | 'latest'>;
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
    const restricted = this.deps.restrictedNote?.();
    return { chatId: this.chat.id, turns: this.chat.turns, chats, busy: this.busy, model: this.deps.modelStatus(), curatedModels: this.deps.curatedModels, ...(restricted ? { restricted } : {}) };
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

  /** Entry point for validated webview messages. Never throws. */
  async handle(msg: WebviewMessage): Promise<void> {
    try {
      switch (msg.type) {
        case 'ready':
          return await this.pushState();
        case 'ask':
          return await this.ask(msg.text);
        case 'stop':
          return this.stop();
        case 'newChat':
          return await this.newChat();
        case 'openChat':
          return await this.openChat(msg.chatId);
        case 'deleteChat':
          return await this.deleteChat(msg.chatId);
        default:
          return await this.deps.hostAction(msg);
      }
    } catch (e) {
      const err = describeError(e);
      this.deps.log(`error handling '${msg.type}': ${err.message}`);
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
    await this.deps.store.delete(id);
    await this.pushState();
  }

  async ask(question: string): Promise<void> {
    const history: HistoryMessage[] = [];
    for (let i = 0; i + 1 < this.chat.turns.length; i++) {
      const q = this.chat.turns[i]!;
      const a = this.chat.turns[i + 1]!;
      if (q.role === 'user' && a.role === 'assistant' && !a.error && a.text) {
        history.push({ role: 'user', content: q.text }, { role: 'assistant', content: a.text });
        i++;
      }
    }
    await this.run(question, 'ask', (signal) => ({ kind: 'ask', chatId: this.chat.id, question, history, signal }));
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
    await this.run(what, 'summarize', (signal) => ({ kind: 'summarize', chatId: this.chat.id, label, text, selection, signal, ...(confirmLarge ? { confirmLarge } : {}) }));
  }

  /** Extension shutdown: stops the running answer, waits until it is saved, and accepts no new ones. */
  async dispose(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.idle();
    this.views.clear();
  }

  private async run(userText: string, kind: 'ask' | 'summarize', makeRequest: (signal: AbortSignal) => AnswerRequest): Promise<void> {
    await this.restored;
    if (this.closed) return;
    if (this.busy) {
      this.broadcast({ type: 'error', message: 'An answer is still being generated. Stop it first, or wait for it to finish.', actions: [] });
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    let release!: () => void;
    this.running = new Promise<void>((r) => (release = r));
    const chat = this.chat;
    const user: ChatTurn = { id: turnId('u'), role: 'user', text: userText };
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
      this.broadcast({ type: 'answerStart', turnId: answer.id, chips: answer.chips ?? [], meter: answer.meter, omittedFiles: answer.omittedFiles ?? 0 });
    };
    try {
      const result: AnswerResult = await this.deps.backend.answer(makeRequest(abort.signal), {
        progress,
        context: (ctx: AnswerContext) => {
          Object.assign(answer, { chips: ctx.chips, meter: ctx.meter, omittedFiles: ctx.omittedFiles });
          if (!started) start();
          else this.broadcast({ type: 'answerContext', turnId: answer.id, chips: ctx.chips, meter: ctx.meter, omittedFiles: ctx.omittedFiles });
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
      this.broadcast({ type: 'answerEnd', turnId: answer.id, timings: result.timings, finish });
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
        this.deps.log(`error: ${err.message}`);
        this.broadcast({ type: 'error', turnId: answer.id, message: err.message, actions: err.actions });
        this.deps.onError?.(err.message, err.actions);
      }
    } finally {
      this.abort = undefined;
      progress('idle');
      chat.updatedAt = this.now();
      try {
        await this.deps.store.save(chat);
      } catch (e) {
        this.deps.log(`history: could not save chat (${describeError(e).message})`);
      }
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
