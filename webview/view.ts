// Renders UiState into the DOM. Everything from the model or the file system goes in through
// textContent or the sanitizing markdown pipeline, never through innerHTML.
import { actionMessage, ERROR_ACTION_LABELS, type Attachment, type ChatTurn, type ErrorAction, type WebviewMessage } from '../extension/protocol';
import type { UiState } from './chat-state';
import { Composer } from './composer';
import { chipParts, downloadLabel, formatBytes, meterFraction, meterLabel, meterTitle, meterWords, progressLabel, timingsLabel } from './format';
import { button, renderMarkdownInto } from './markdown-dom';
import { StreamingMarkdown } from './streaming-markdown';

export type Post = (msg: WebviewMessage) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class ChatView {
  private readonly messages: HTMLElement;
  private readonly composer: Composer;
  private readonly history: HTMLSelectElement;
  private readonly modelBar: HTMLElement;
  private readonly downloadBox: HTMLElement;
  private readonly status: HTMLElement;
  private readonly progressBar: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly restrictedNote: HTMLElement;
  private readonly firstRun: HTMLElement;
  private readonly turnElements = new Map<string, HTMLElement>();
  private pendingTurnRender = new Set<string>();
  private frame = 0;
  private state: UiState | undefined;
  /** The answer being streamed: its markdown element renders incrementally (finished blocks stay). */
  private stream: { turnId: string; body: HTMLElement; md: StreamingMarkdown } | undefined;
  /** Answers whose "files left out" list is open. */
  private readonly openLeftOut = new Set<string>();

  constructor(root: HTMLElement, private readonly post: Post, draft: string, private readonly saveDraft: (d: string) => void) {
    const header = el('header', 'toolbar');
    const newChat = button('New chat', 'Start a new chat', 'new-chat', () => post({ type: 'newChat' }));
    this.history = el('select', 'history');
    this.history.setAttribute('aria-label', 'Chat history');
    this.history.addEventListener('change', () => {
      if (this.history.value && this.history.value !== this.state?.chatId) post({ type: 'openChat', chatId: this.history.value });
    });
    const del = button('Delete', 'Delete this chat', 'delete-chat', () => {
      if (this.state?.chatId) post({ type: 'deleteChat', chatId: this.state.chatId });
    });
    header.append(newChat, this.history, del);

    // Which model answers, always in view; a click picks another.
    this.modelBar = el('div', 'model-bar');
    this.downloadBox = el('div', 'download');
    this.downloadBox.setAttribute('role', 'status');
    this.downloadBox.hidden = true;

    this.progressBar = el('div', 'progress');
    this.progressBar.setAttribute('role', 'progressbar');
    this.progressBar.setAttribute('aria-label', 'Progress');
    this.progressBar.append(el('div', 'progress-fill'));
    this.progressBar.hidden = true;
    this.status = el('div', 'status');
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');

    this.banner = el('div', 'banner error');
    this.banner.setAttribute('role', 'alert');
    this.banner.hidden = true;
    this.restrictedNote = el('p', 'restricted-note');
    this.restrictedNote.setAttribute('role', 'note');
    this.restrictedNote.hidden = true;
    this.firstRun = el('section', 'first-run');
    this.firstRun.setAttribute('aria-label', 'Set up a model');
    this.firstRun.hidden = true;

    this.messages = el('main', 'messages');
    this.messages.setAttribute('role', 'log');
    this.messages.setAttribute('aria-label', 'Conversation');
    this.messages.setAttribute('aria-live', 'polite');
    this.messages.tabIndex = 0;

    this.composer = new Composer(post, draft, saveDraft);
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.state?.busy && e.target !== this.composer.input) post({ type: 'stop' });
    });
    root.replaceChildren(header, this.modelBar, this.downloadBox, this.progressBar, this.status, this.restrictedNote, this.firstRun, this.banner, this.messages, this.composer.element);
  }

  focusInput(): void {
    this.composer.focus();
  }

  compose(text: string | undefined, attachments: Attachment[]): void {
    this.composer.compose(text, attachments);
  }

  renderComposer(state: UiState): void {
    this.state = state;
    this.composer.update(state);
  }

  renderAll(state: UiState): void {
    this.state = state;
    this.renderChrome(state);
    this.renderHistory(state);
    this.renderFirstRun(state);
    this.renderBanner(state);
    this.restrictedNote.hidden = !state.restricted;
    this.restrictedNote.textContent = state.restricted ?? '';
    const stick = this.nearBottom();
    const focus = this.focusedControl();
    this.turnElements.clear();
    this.pendingTurnRender.clear();
    const items = state.turns.map((t) => this.renderTurn(t, state));
    if (items.length === 0) items.push(this.emptyHint(state));
    this.messages.replaceChildren(...items);
    this.restoreFocus(focus);
    if (stick) this.scrollToBottom();
  }

  // Re-rendering replaces the buttons inside answers; a keyboard user who was on one (a chip, Copy)
  // keeps their place instead of being thrown back to the document start.
  private focusedControl(): { turnId: string; className: string; index: number } | undefined {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !this.messages.contains(active)) return undefined;
    const turn = active.closest<HTMLElement>('[data-turn-id]');
    if (!turn?.dataset.turnId || !active.className) return undefined;
    const same = Array.from(turn.getElementsByClassName(active.className.split(' ')[0]!));
    return { turnId: turn.dataset.turnId, className: active.className.split(' ')[0]!, index: same.indexOf(active) };
  }

  private restoreFocus(f: { turnId: string; className: string; index: number } | undefined): void {
    if (!f) return;
    const turn = this.turnElements.get(f.turnId);
    const target = turn?.getElementsByClassName(f.className)[f.index];
    if (target instanceof HTMLElement) target.focus({ preventScroll: true });
  }

  /** Streaming path: re-render one turn at most once per animation frame. */
  renderTurnLater(state: UiState, turnId: string): void {
    this.state = state;
    this.pendingTurnRender.add(turnId);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const stick = this.nearBottom();
      for (const id of this.pendingTurnRender) {
        const turn = this.state?.turns.find((t) => t.id === id);
        const node = this.turnElements.get(id);
        if (turn && node && this.state) {
          const focus = this.focusedControl();
          node.replaceWith(this.renderTurn(turn, this.state));
          this.restoreFocus(focus);
        }
      }
      this.pendingTurnRender.clear();
      if (stick) this.scrollToBottom();
    });
  }

  renderChrome(state: UiState): void {
    this.state = state;
    this.composer.update(state);
    this.renderModelBar(state);
    this.renderDownload(state);
    document.body.dataset.busy = String(state.busy);
    const { phase, fraction, detail } = state.progress;
    const label = progressLabel(phase, fraction, detail);
    this.status.textContent = label;
    this.progressBar.hidden = phase === 'idle' && !state.busy;
    const fill = this.progressBar.firstElementChild as HTMLElement;
    // Unknown progress, or 0% with a detail saying what is happening, moves instead of sitting at 0%.
    if (fraction === undefined || (fraction === 0 && detail)) {
      this.progressBar.classList.add('indeterminate');
      this.progressBar.removeAttribute('aria-valuenow');
      fill.style.width = '';
    } else {
      this.progressBar.classList.remove('indeterminate');
      this.progressBar.setAttribute('aria-valuemin', '0');
      this.progressBar.setAttribute('aria-valuemax', '100');
      this.progressBar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
      fill.style.width = `${(fraction * 100).toFixed(1)}%`;
    }
  }

  private renderHistory(state: UiState): void {
    const options = state.chats.map((c) => {
      const o = el('option', undefined, c.title || 'New chat');
      o.value = c.id;
      o.title = new Date(c.updatedAt).toLocaleString();
      return o;
    });
    if (!state.chats.some((c) => c.id === state.chatId)) {
      const o = el('option', undefined, 'New chat');
      o.value = state.chatId;
      options.unshift(o);
    }
    this.history.replaceChildren(...options);
    this.history.value = state.chatId;
  }

  private renderModelBar(state: UiState): void {
    const m = state.model;
    const phase: Record<typeof m.phase, string> = { unset: 'none chosen', idle: 'not loaded yet', loading: `loading${m.fraction !== undefined ? ` ${Math.round(m.fraction * 100)}%` : ''}`, ready: 'ready', error: 'failed to load' };
    const name = el('span', 'model-name', m.name ?? 'No model');
    name.title = m.message ?? (m.name ? `The chat answers with ${m.name}` : 'Choose a model to start');
    const label = el('span', 'model-label', 'Model:');
    const state_ = el('span', `model-state model-${m.phase}`, phase[m.phase]);
    const change = button(m.name ? 'Change…' : 'Choose…', 'Select a model file', 'change-model', () => this.post({ type: 'selectModel' }));
    this.modelBar.replaceChildren(label, name, state_, change);
    this.modelBar.dataset.phase = m.phase;
  }

  private renderDownload(state: UiState): void {
    const d = state.download;
    this.downloadBox.hidden = !d || d.state === 'done';
    if (!d || this.downloadBox.hidden) {
      this.downloadBox.replaceChildren();
      return;
    }
    this.downloadBox.className = `download download-${d.state}`;
    const text = el('p', 'download-text', downloadLabel(d));
    const parts: Node[] = [text];
    if (d.state === 'running') {
      const bar = el('div', 'download-bar');
      bar.setAttribute('role', 'progressbar');
      bar.setAttribute('aria-label', `Downloading ${d.label}`);
      const fill = el('div', 'download-fill');
      if (d.totalBytes > 0) {
        const pct = Math.min(100, (d.receivedBytes / d.totalBytes) * 100);
        fill.style.width = `${pct.toFixed(1)}%`;
        bar.setAttribute('aria-valuenow', String(Math.floor(pct)));
      }
      bar.append(fill);
      parts.push(bar, button('Cancel', 'Cancel the download', 'cancel-download', () => this.post({ type: 'cancelDownload' })));
    } else {
      const row = el('div', 'download-actions');
      row.append(
        button('Retry', `Retry downloading ${d.label}`, 'retry-download primary', () => this.post({ type: 'downloadModel', modelId: d.modelId })),
        button('Pick a local file…', 'Pick a local GGUF model file instead', 'pick-model', () => this.post({ type: 'selectModel' })),
      );
      parts.push(row);
    }
    this.downloadBox.replaceChildren(...parts);
  }

  private renderFirstRun(state: UiState): void {
    this.firstRun.hidden = state.model.phase !== 'unset';
    if (this.firstRun.hidden) return;
    const title = el('h2', undefined, 'Choose a model to get started');
    const intro = el('p', undefined, 'SelfExtend runs a GGUF language model on your GPU. Nothing leaves your machine except a model download you start.');
    const pick = button('Pick a local .gguf file…', 'Pick a local GGUF model file', 'pick-model primary', () => this.post({ type: 'selectModel' }));
    const list = el('ul', 'curated');
    list.setAttribute('aria-label', 'Recommended models');
    for (const m of state.curatedModels) {
      const li = el('li');
      const name = el('span', 'curated-name', m.label);
      const size = el('span', 'curated-size', formatBytes(m.sizeBytes));
      const note = m.note ? el('span', 'curated-note', m.note) : undefined;
      const dl = button('Download', `Download ${m.label} (${formatBytes(m.sizeBytes)})`, 'download-model', () => this.post({ type: 'downloadModel', modelId: m.id }));
      li.append(name, size, ...(note ? [note] : []), dl);
      list.append(li);
    }
    const settings = button('Open settings', 'Open SelfExtend settings', 'open-settings', () => this.post({ type: 'openSettings', query: 'selfextend' }));
    this.firstRun.replaceChildren(title, intro, pick, ...(state.curatedModels.length ? [el('h3', undefined, 'Or download a recommended model'), list] : []), settings);
  }

  private renderBanner(state: UiState): void {
    this.banner.hidden = !state.banner;
    if (state.banner) this.banner.replaceChildren(...this.errorContent(state.banner.message, state.banner.actions ?? []));
  }

  private errorContent(message: string, actions: ErrorAction[]): HTMLElement[] {
    const text = el('p', 'error-message', message);
    const row = el('div', 'error-actions');
    for (const a of actions) row.append(button(ERROR_ACTION_LABELS[a], ERROR_ACTION_LABELS[a], `action action-${a}`, () => this.post(actionMessage(a))));
    return actions.length ? [text, row] : [text];
  }

  private emptyHint(state: UiState): HTMLElement {
    const hint = el('p', 'empty-hint', state.model.phase === 'unset' ? '' : 'Ask anything about this workspace. The files that go into the prompt appear above each answer.');
    return hint;
  }

  private renderTurn(turn: ChatTurn, state: UiState): HTMLElement {
    const art = el('article', `turn ${turn.role}`);
    art.dataset.turnId = turn.id;
    if (turn.role === 'user') {
      art.setAttribute('aria-label', 'Your question');
      if (turn.attachments?.length) art.append(this.attachmentChips(turn.attachments));
      art.append(el('div', 'user-text', turn.text));
      if (turn.request !== 'summarize' && !state.busy) {
        const row = el('div', 'turn-actions');
        row.append(button('Edit', 'Edit this question and send it again', 'edit-question', () => this.composer.edit(turn.id, turn.text, turn.attachments ?? [])));
        art.append(row);
      }
      this.turnElements.set(turn.id, art);
      return art;
    }
    const streaming = state.streamingTurnId === turn.id;
    art.setAttribute('aria-label', 'Answer');
    art.setAttribute('aria-busy', String(streaming));
    if (turn.chips || turn.meter) art.append(this.renderContext(turn));
    if (turn.parts?.length) art.append(this.renderSummaryParts(turn));
    art.append(this.answerBody(turn, streaming));
    if (turn.timings) {
      const foot = el('div', 'turn-footer', timingsLabel(turn.timings, turn.finish));
      art.append(foot);
      // Never a silent change of prompt format (issue 10 point 4). Text only: the reason may quote the model file.
      if (turn.promptFallback) art.append(el('div', 'turn-footer prompt-fallback', `Prompt format: ${turn.promptFallback}`));
    } else if (turn.finish === 'stopped') {
      art.append(el('div', 'turn-footer', 'stopped'));
    }
    const question = this.questionOf(turn, state);
    const canResend = !state.busy && question !== undefined && question.request !== 'summarize';
    if (turn.error) {
      const box = el('div', 'turn-error error');
      box.setAttribute('role', 'alert');
      box.append(...this.errorContent(turn.error, turn.actions ?? []));
      if (canResend) {
        const row = box.querySelector('.error-actions') ?? box.appendChild(el('div', 'error-actions'));
        row.prepend(button('Retry', 'Ask this question again', 'retry primary', () => this.post({ type: 'regenerate', turnId: turn.id })));
      }
      art.append(box);
    } else if (!streaming && turn.text) {
      const row = el('div', 'turn-actions');
      row.append(button('Copy', 'Copy the answer (markdown) to the clipboard', 'copy-answer', () => this.post({ type: 'copyAnswer', turnId: turn.id })));
      if (canResend && this.isLastAnswer(turn, state)) {
        row.append(button('Regenerate', 'Answer this question again', 'regenerate', () => this.post({ type: 'regenerate', turnId: turn.id })));
      }
      art.append(row);
    }
    this.turnElements.set(turn.id, art);
    return art;
  }

  private questionOf(turn: ChatTurn, state: UiState): ChatTurn | undefined {
    const i = state.turns.indexOf(turn);
    const q = i > 0 ? state.turns[i - 1] : undefined;
    return q?.role === 'user' ? q : undefined;
  }

  private isLastAnswer(turn: ChatTurn, state: UiState): boolean {
    for (let i = state.turns.length - 1; i >= 0; i--) if (state.turns[i]!.role === 'assistant') return state.turns[i] === turn;
    return false;
  }

  private readonly codeActions = {
    copy: (code: string) => this.post({ type: 'copyCode', code }),
    insert: (code: string) => this.post({ type: 'insertCode', code }),
  };

  /**
   * The answer's markdown. While it streams, the same element is kept across re-renders and only the
   * new text is rendered (StreamingMarkdown); when it is done, it is rendered once more as a whole only
   * if it was not the element that streamed it.
   */
  private answerBody(turn: ChatTurn, streaming: boolean): HTMLElement {
    const s = this.stream;
    if (s && s.turnId === turn.id) {
      s.md.update(turn.text);
      if (!streaming) {
        s.md.finish();
        s.body.classList.remove('streaming');
        this.stream = undefined;
      }
      return s.body;
    }
    const body = el('div', 'markdown');
    if (streaming) {
      body.classList.add('streaming');
      const md = new StreamingMarkdown(body, this.codeActions);
      md.update(turn.text);
      this.stream = { turnId: turn.id, body, md };
    } else {
      renderMarkdownInto(body, turn.text, this.codeActions);
    }
    return body;
  }

  private attachmentChips(attachments: readonly Attachment[]): HTMLElement {
    const list = el('ul', 'chips attached');
    list.setAttribute('aria-label', 'Attached files');
    for (const a of attachments) {
      const li = el('li');
      const b = el('button', 'chip pinned');
      b.type = 'button';
      b.dataset.path = a.path;
      b.title = a.kind === 'selection' ? `${a.path} lines ${a.startLine}–${a.endLine}` : a.path;
      b.append(el('span', 'chip-name', a.kind === 'selection' ? `${chipParts(a.path).name}:${a.startLine}–${a.endLine}` : chipParts(a.path).name));
      b.addEventListener('click', () => this.post({ type: 'openFile', path: a.path }));
      li.append(b);
      list.append(li);
    }
    return list;
  }

  /** Part summaries of a long summary: open while they stream in, collapsed once the final summary arrives. */
  private renderSummaryParts(turn: ChatTurn): HTMLElement {
    const parts = [...(turn.parts ?? [])].sort((a, b) => a.index - b.index);
    const box = el('details', 'summary-parts');
    box.open = turn.text.length === 0;
    const total = parts[0]?.count ?? parts.length;
    box.append(el('summary', undefined, `Part summaries (${parts.length} of ${total})`));
    const list = el('ol', 'summary-part-list');
    for (const p of parts) {
      const item = el('li', 'summary-part');
      item.value = p.index + 1;
      item.append(el('div', 'summary-part-lines', `Lines ${p.startLine}–${p.endLine}`), el('div', 'summary-part-text', p.text));
      list.append(item);
    }
    box.append(list);
    return box;
  }

  private renderContext(turn: ChatTurn): HTMLElement {
    const ctx = el('div', 'context');
    const chips = turn.chips ?? [];
    if (chips.length) {
      const list = el('ul', 'chips');
      list.setAttribute('aria-label', `${chips.length} file${chips.length === 1 ? '' : 's'} in context`);
      for (const c of chips) {
        const { name, dir } = chipParts(c.path);
        const li = el('li');
        const b = el('button', c.pinned ? 'chip pinned' : 'chip');
        b.type = 'button';
        b.dataset.path = c.path;
        if (c.pinned) b.dataset.pinned = 'true';
        b.title = `${c.path}${c.tokens ? ` — ${c.tokens} tokens` : ''}${c.partial ? ' (partial)' : ''}${c.pinned ? ' (attached by you)' : ''}`;
        b.setAttribute('aria-label', `Open ${c.path}`);
        b.append(el('span', 'chip-name', name + (c.partial ? ' (part)' : '')));
        if (dir) b.append(el('span', 'chip-dir', dir));
        b.addEventListener('click', () => this.post({ type: 'openFile', path: c.path }));
        li.append(b);
        list.append(li);
      }
      ctx.append(list);
    }
    if (turn.omittedFiles) ctx.append(this.leftOutList(turn));
    if (turn.meter) {
      const m = turn.meter;
      const meter = el('div', 'meter');
      meter.setAttribute('role', 'meter');
      meter.setAttribute('aria-label', 'Context window used');
      meter.setAttribute('aria-valuemin', '0');
      meter.setAttribute('aria-valuemax', String(m.windowTokens));
      meter.setAttribute('aria-valuenow', String(m.usedTokens));
      meter.setAttribute('aria-valuetext', meterLabel(m));
      meter.title = meterTitle(m);
      meter.dataset.group = String(m.group);
      meter.dataset.window = String(m.neighbor);
      meter.tabIndex = 0; // so keyboard users can reach the hover text
      const bar = el('div', 'meter-bar');
      const fill = el('div', 'meter-fill');
      fill.style.width = `${(meterFraction(m) * 100).toFixed(1)}%`;
      bar.append(fill);
      meter.append(bar, el('span', 'meter-label', `${meterLabel(m)} · ${meterWords(m)}`));
      ctx.append(meter);
    }
    return ctx;
  }

  /** "+N files left out": a button opening the list of left-out files, each to open or attach. */
  private leftOutList(turn: ChatTurn): HTMLElement {
    const box = el('div', 'left-out');
    const open = this.openLeftOut.has(turn.id);
    const n = turn.omittedFiles ?? 0;
    const toggle = button(`+${n} file${n === 1 ? '' : 's'} left out ${open ? '▴' : '▾'}`, `${open ? 'Hide' : 'Show'} the files that did not fit`, 'omitted', () => {
      if (open) this.openLeftOut.delete(turn.id);
      else this.openLeftOut.add(turn.id);
      const node = this.turnElements.get(turn.id);
      if (node && this.state) {
        const fresh = this.renderTurn(turn, this.state);
        node.replaceWith(fresh);
        (fresh.querySelector('button.omitted') as HTMLElement | null)?.focus();
      }
    });
    toggle.setAttribute('aria-expanded', String(open));
    box.append(toggle);
    if (open) {
      const paths = turn.leftOut ?? [];
      const list = el('ul', 'left-out-list');
      for (const p of paths) {
        const li = el('li');
        const name = button(p, `Open ${p}`, 'left-out-open', () => this.post({ type: 'openFile', path: p }));
        const pin = button('Attach', `Attach ${p} to the next question`, 'left-out-pin', () => {
          this.composer.attach({ kind: 'file', path: p });
          this.composer.focus();
        });
        li.append(name, pin);
        list.append(li);
      }
      box.append(list);
      const more = n - paths.length;
      const note = paths.length === 0 ? 'The names were not reported; see the SelfExtend output channel.' : more > 0 ? `The ${paths.length} most relevant are listed; ${more} more are named in the SelfExtend output channel. Type @ to attach any file.` : 'Attach a file to put its contents into your next question.';
      box.append(el('p', 'left-out-note', note));
    }
    return box;
  }

  private nearBottom(): boolean {
    const m = this.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 48;
  }

  private scrollToBottom(): void {
    this.messages.scrollTop = this.messages.scrollHeight;
  }
}
