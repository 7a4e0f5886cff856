// Renders UiState into the DOM. Everything from the model or the file system goes in through
// textContent or the sanitizing markdown pipeline, never through innerHTML.
import { actionMessage, ERROR_ACTION_LABELS, type ChatTurn, type ErrorAction, type WebviewMessage } from '../extension/protocol';
import type { UiState } from './chat-state';
import { chipParts, formatBytes, meterFraction, meterLabel, meterTitle, progressLabel, timingsLabel } from './format';
import { button, renderMarkdownInto } from './markdown-dom';

export type Post = (msg: WebviewMessage) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class ChatView {
  private readonly messages: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly history: HTMLSelectElement;
  private readonly status: HTMLElement;
  private readonly progressBar: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly restrictedNote: HTMLElement;
  private readonly firstRun: HTMLElement;
  private readonly turnElements = new Map<string, HTMLElement>();
  private pendingTurnRender = new Set<string>();
  private frame = 0;
  private state: UiState | undefined;

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

    const form = el('form', 'composer');
    this.input = el('textarea', 'input');
    this.input.rows = 3;
    this.input.value = draft;
    this.input.placeholder = 'Ask about your workspace (Enter to send, Shift+Enter for a new line)';
    this.input.setAttribute('aria-label', 'Question about your workspace');
    this.sendButton = el('button', 'send', 'Send');
    this.sendButton.type = 'submit';
    this.sendButton.setAttribute('aria-label', 'Send question');
    this.stopButton = button('Stop', 'Stop generating (Escape)', 'stop', () => post({ type: 'stop' }));
    this.stopButton.disabled = true;
    const buttons = el('div', 'composer-buttons');
    buttons.append(this.sendButton, this.stopButton);
    form.append(this.input, buttons);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      } else if (e.key === 'Escape' && this.state?.busy) {
        e.preventDefault();
        post({ type: 'stop' });
      }
    });
    this.input.addEventListener('input', () => this.saveDraft(this.input.value));
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.state?.busy && e.target !== this.input) post({ type: 'stop' });
    });
    root.replaceChildren(header, this.progressBar, this.status, this.restrictedNote, this.firstRun, this.banner, this.messages, form);
  }

  focusInput(): void {
    this.input.focus();
  }

  private send(): void {
    const text = this.input.value.trim();
    if (!text || this.state?.busy) return;
    this.post({ type: 'ask', text });
    this.input.value = '';
    this.saveDraft('');
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
    this.sendButton.disabled = state.busy;
    this.stopButton.disabled = !state.busy;
    document.body.dataset.busy = String(state.busy);
    const { phase, fraction, detail } = state.progress;
    const label = progressLabel(phase, fraction, detail);
    this.status.textContent = label;
    this.progressBar.hidden = phase === 'idle' && !state.busy;
    const fill = this.progressBar.firstElementChild as HTMLElement;
    if (fraction === undefined) {
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
      art.append(el('div', 'user-text', turn.text));
      this.turnElements.set(turn.id, art);
      return art;
    }
    const streaming = state.streamingTurnId === turn.id;
    art.setAttribute('aria-label', 'Answer');
    art.setAttribute('aria-busy', String(streaming));
    if (turn.chips || turn.meter) art.append(this.renderContext(turn));
    if (turn.parts?.length) art.append(this.renderSummaryParts(turn));
    const body = el('div', 'markdown');
    renderMarkdownInto(body, turn.text, {
      copy: (code) => this.post({ type: 'copyCode', code }),
      insert: (code) => this.post({ type: 'insertCode', code }),
    });
    if (streaming) body.classList.add('streaming');
    art.append(body);
    if (turn.timings) {
      const foot = el('div', 'turn-footer', timingsLabel(turn.timings, turn.finish));
      art.append(foot);
    } else if (turn.finish === 'stopped') {
      art.append(el('div', 'turn-footer', 'stopped'));
    }
    if (turn.error) {
      const box = el('div', 'turn-error error');
      box.setAttribute('role', 'alert');
      box.append(...this.errorContent(turn.error, turn.actions ?? []));
      art.append(box);
    }
    this.turnElements.set(turn.id, art);
    return art;
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
        const b = el('button', 'chip');
        b.type = 'button';
        b.dataset.path = c.path;
        b.title = `${c.path}${c.tokens ? ` — ${c.tokens} tokens` : ''}${c.partial ? ' (partial)' : ''}`;
        b.setAttribute('aria-label', `Open ${c.path}`);
        b.append(el('span', 'chip-name', name + (c.partial ? ' (part)' : '')));
        if (dir) b.append(el('span', 'chip-dir', dir));
        b.addEventListener('click', () => this.post({ type: 'openFile', path: c.path }));
        li.append(b);
        list.append(li);
      }
      ctx.append(list);
    }
    if (turn.omittedFiles) ctx.append(el('span', 'omitted', `+${turn.omittedFiles} files left out (see the SelfExtend output channel)`));
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
      meter.append(bar, el('span', 'meter-label', `${meterLabel(m)} · G=${m.group} W=${m.neighbor}`));
      ctx.append(meter);
    }
    return ctx;
  }

  private nearBottom(): boolean {
    const m = this.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 48;
  }

  private scrollToBottom(): void {
    this.messages.scrollTop = this.messages.scrollHeight;
  }
}
