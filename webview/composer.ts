// The question box and everything that decides what goes with a question: attachments (files and
// selections the user pins, shown as chips), the editor's current file and selection offered before
// sending, `@` file mentions and `/` commands, Edit & resend, and notes such as "still answering".
// Paths and file names come from the host and go into the DOM as text only.
import type { Attachment, WebviewMessage } from '../extension/protocol';
import type { UiState } from './chat-state';
import { attachmentLabel, chipParts, sameAttachment } from './format';
import { button } from './markdown-dom';

type Post = (msg: WebviewMessage) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

interface Option {
  /** Shown as the main text. */
  label: string;
  detail: string;
  accept(): void;
}

interface SlashCommand {
  name: string;
  detail: string;
  run(): void;
}

/** `@word` right before the caret (the word may be empty right after typing `@`). */
const MENTION = /(^|\s)@([^\s@]*)$/;

export class Composer {
  readonly element: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  readonly sendButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;
  private readonly offers: HTMLElement;
  private readonly attachedList: HTMLElement;
  private readonly note: HTMLElement;
  private readonly popup: HTMLElement;
  private attachments: Attachment[] = [];
  private editing: string | undefined;
  private state: UiState | undefined;
  private options: Option[] = [];
  private active = 0;
  private mentionQuery: string | undefined;
  private suggestTimer: ReturnType<typeof setTimeout> | undefined;
  private noteTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly post: Post, draft: string, private readonly saveDraft: (d: string) => void) {
    this.element = el('form', 'composer');
    this.element.setAttribute('aria-label', 'Ask a question');
    this.offers = el('div', 'composer-offers');
    this.attachedList = el('ul', 'attached chips');
    this.attachedList.setAttribute('aria-label', 'Attached to the next question');
    this.note = el('div', 'composer-note');
    this.note.setAttribute('role', 'status');
    this.note.setAttribute('aria-live', 'polite');
    this.popup = el('ul', 'suggest');
    this.popup.id = 'suggest-list';
    this.popup.setAttribute('role', 'listbox');
    this.popup.setAttribute('aria-label', 'Suggestions');
    this.popup.hidden = true;

    this.input = el('textarea', 'input');
    this.input.rows = 3;
    this.input.value = draft;
    this.input.placeholder = 'Ask about your workspace (@ file, / commands)';
    this.input.title = 'Enter sends, Shift+Enter adds a line, @ attaches a workspace file, / lists commands, Escape stops';
    this.input.setAttribute('aria-label', 'Question about your workspace');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-controls', this.popup.id);
    this.sendButton = el('button', 'send', 'Send');
    this.sendButton.type = 'submit';
    this.sendButton.setAttribute('aria-label', 'Send question');
    this.stopButton = button('Stop', 'Stop generating (Escape)', 'stop', () => post({ type: 'stop' }));
    this.stopButton.disabled = true;
    const buttons = el('div', 'composer-buttons');
    buttons.append(this.sendButton, this.stopButton);
    const row = el('div', 'composer-row');
    row.append(this.input, buttons);
    this.element.append(this.offers, this.attachedList, this.popup, this.note, row);

    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('input', () => {
      this.saveDraft(this.input.value);
      this.updatePopup();
    });
    this.input.addEventListener('blur', () => setTimeout(() => this.closePopup(), 150));
  }

  focus(): void {
    this.input.focus();
  }

  update(state: UiState): void {
    this.state = state;
    const noModel = state.model.phase === 'unset';
    this.sendButton.disabled = state.busy || noModel;
    this.sendButton.title = noModel ? 'Choose a model first' : state.busy ? 'Wait for the answer, or Stop it' : 'Send question (Enter)';
    this.stopButton.disabled = !state.busy;
    this.renderOffers();
    if (state.suggestions && this.mentionQuery !== undefined && state.suggestions.query === this.mentionQuery) this.showMentions(state.suggestions.paths);
  }

  /** Adds context to the next question (an @mention, a pinned left-out file, "Ask about selection"). */
  attach(a: Attachment): void {
    if (!this.attachments.some((x) => sameAttachment(x, a))) this.attachments.push(a);
    this.renderAttached();
    this.renderOffers();
  }

  /** Fills the box from the host (e.g. "Ask about selection"). */
  compose(text: string | undefined, attachments: readonly Attachment[]): void {
    for (const a of attachments) this.attach(a);
    if (text !== undefined) this.setText(text);
    this.focus();
  }

  /** Edit & resend: the question goes back into the box; sending replaces it and what followed. */
  edit(turnId: string, text: string, attachments: readonly Attachment[]): void {
    this.editing = turnId;
    this.attachments = [...attachments];
    this.setText(text);
    this.renderAttached();
    this.renderOffers();
    this.showNote('Editing an earlier question: sending replaces it and everything after it.', true);
    this.focus();
  }

  private setText(text: string): void {
    this.input.value = text;
    this.saveDraft(text);
    this.input.setSelectionRange(text.length, text.length);
  }

  private cancelEdit(): void {
    this.editing = undefined;
    this.clearNote();
  }

  private send(): void {
    const text = this.input.value.trim();
    if (!text) return;
    if (this.state?.busy) {
      // Never silently: the question stays in the box and the user learns why nothing happened.
      this.showNote('Still answering the previous question. Press Stop (Escape) or wait; your question stays here.');
      return;
    }
    if (this.state?.model.phase === 'unset') {
      this.showNote('Choose a model first (above), then send.');
      return;
    }
    const msg: WebviewMessage = { type: 'ask', text };
    if (this.attachments.length) msg.attachments = [...this.attachments];
    if (this.editing) msg.replaceFrom = this.editing;
    this.post(msg);
    this.input.value = '';
    this.saveDraft('');
    this.attachments = [];
    this.editing = undefined;
    this.clearNote();
    this.renderAttached();
    this.renderOffers();
    this.closePopup();
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.popup.hidden && this.options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.options.length - 1)) % this.options.length;
        this.highlight();
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        this.options[this.active]?.accept();
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        this.closePopup();
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'Escape') {
      if (this.state?.busy) {
        e.preventDefault();
        this.post({ type: 'stop' });
      } else if (this.editing) {
        e.preventDefault();
        this.cancelEdit();
      }
    }
  }

  // ---- notes ----

  private showNote(text: string, withCancel = false): void {
    if (this.noteTimer) clearTimeout(this.noteTimer);
    const parts: Node[] = [el('span', undefined, text)];
    if (withCancel) parts.push(button('Cancel', 'Cancel editing', 'cancel-edit', () => this.cancelEdit()));
    this.note.replaceChildren(...parts);
    this.note.hidden = false;
    if (!withCancel) this.noteTimer = setTimeout(() => (this.editing ? undefined : this.clearNote()), 6000);
  }

  private clearNote(): void {
    this.note.replaceChildren();
    this.note.hidden = true;
  }

  // ---- attachments and offers ----

  private renderAttached(): void {
    const items = this.attachments.map((a, i) => {
      const li = el('li');
      const chip = el('span', 'chip attached-chip');
      chip.dataset.path = a.path;
      chip.dataset.kind = a.kind;
      chip.title = a.kind === 'selection' ? `${a.path} lines ${a.startLine}–${a.endLine}: its text goes into the question` : `${a.path}: its contents go into the question`;
      chip.append(el('span', 'chip-name', attachmentLabel(a)));
      const remove = button('×', `Remove ${attachmentLabel(a)}`, 'chip-remove', () => {
        this.attachments.splice(i, 1);
        this.renderAttached();
        this.renderOffers();
        this.focus();
      });
      li.append(chip, remove);
      return li;
    });
    this.attachedList.replaceChildren(...items);
    this.attachedList.hidden = items.length === 0;
  }

  /** The editor's file and selection, before sending: what the ranking favours, and a click attaches it. */
  private renderOffers(): void {
    const ed = this.state?.editor;
    const nodes: Node[] = [];
    if (ed?.selection) {
      const s = ed.selection;
      const a: Attachment = { kind: 'selection', path: s.path, startLine: s.startLine, endLine: s.endLine };
      if (!this.attachments.some((x) => sameAttachment(x, a))) {
        nodes.push(button(`+ Selection ${attachmentLabel(a)}`, `Attach the selected lines ${s.startLine}–${s.endLine} of ${s.path}`, 'offer offer-selection', () => this.attach(a)));
      }
    }
    if (ed?.activeFile) {
      const a: Attachment = { kind: 'file', path: ed.activeFile };
      if (!this.attachments.some((x) => sameAttachment(x, a))) {
        nodes.push(button(`+ ${chipParts(ed.activeFile).name}`, `Attach the current file ${ed.activeFile}`, 'offer offer-file', () => this.attach(a)));
      }
    }
    if (ed?.activeFile || ed?.selection) {
      const where = ed.selection ? `${ed.selection.path} lines ${ed.selection.startLine}–${ed.selection.endLine}` : ed.activeFile!;
      const hint = el('span', 'offer-hint', `Context favours ${where}`);
      hint.title = 'Without attachments, the repository is ranked for your question and the open editor and selection count extra. Attach them to put their text into the question as is.';
      nodes.unshift(hint);
    }
    this.offers.replaceChildren(...nodes);
    this.offers.hidden = nodes.length === 0;
  }

  // ---- @ mentions and / commands ----

  private commands(): SlashCommand[] {
    const ed = this.state?.editor;
    const list: SlashCommand[] = [
      { name: 'new', detail: 'Start a new chat', run: () => this.post({ type: 'newChat' }) },
      { name: 'file', detail: ed?.activeFile ? `Attach the current file (${ed.activeFile})` : 'Attach the current file (open one first)', run: () => ed?.activeFile && this.attach({ kind: 'file', path: ed.activeFile }) },
      {
        name: 'selection',
        detail: ed?.selection ? `Attach the selection (${ed.selection.path} lines ${ed.selection.startLine}–${ed.selection.endLine})` : 'Attach the selection (select some lines first)',
        run: () => ed?.selection && this.attach({ kind: 'selection', ...ed.selection }),
      },
      { name: 'summarize', detail: 'Summarize the current file', run: () => this.post({ type: 'summarizeFile' }) },
      { name: 'model', detail: 'Select a model file', run: () => this.post({ type: 'selectModel' }) },
      { name: 'settings', detail: 'Open SelfExtend settings', run: () => this.post({ type: 'openSettings', query: 'selfextend' }) },
    ];
    return list;
  }

  private updatePopup(): void {
    const before = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const slash = /^\/(\w*)$/.exec(this.input.value.trimStart() === before.trimStart() ? before.trimStart() : '');
    if (slash) {
      this.mentionQuery = undefined;
      const q = slash[1]!.toLowerCase();
      const matches = this.commands().filter((c) => c.name.startsWith(q));
      this.open(
        matches.map((c) => ({
          label: `/${c.name}`,
          detail: c.detail,
          accept: () => {
            this.setText('');
            this.closePopup();
            c.run();
          },
        })),
      );
      return;
    }
    const m = MENTION.exec(before);
    if (!m) {
      this.mentionQuery = undefined;
      this.closePopup();
      return;
    }
    const query = m[2]!;
    this.mentionQuery = query;
    if (this.suggestTimer) clearTimeout(this.suggestTimer);
    // Ask the host after a short pause in typing: it matches against the workspace listing.
    this.suggestTimer = setTimeout(() => this.post({ type: 'suggestFiles', query }), 80);
    if (this.state?.suggestions) this.showMentions(this.state.suggestions.paths);
  }

  private showMentions(paths: readonly string[]): void {
    if (this.mentionQuery === undefined) return;
    const q = this.mentionQuery.toLowerCase();
    const shown = paths.filter((p) => p.toLowerCase().includes(q)).slice(0, 12);
    this.open(
      shown.map((p) => ({
        label: chipParts(p).name,
        detail: chipParts(p).dir,
        accept: () => this.acceptMention(p),
      })),
      q ? `No workspace file matches "${this.mentionQuery}"` : undefined,
    );
  }

  private acceptMention(path: string): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const after = this.input.value.slice(caret);
    const m = MENTION.exec(before);
    const start = m ? before.length - m[2]!.length - 1 : before.length;
    const text = `${before.slice(0, start)}@${path} ${after}`;
    this.input.value = text;
    const pos = start + path.length + 2;
    this.input.setSelectionRange(pos, pos);
    this.saveDraft(text);
    this.mentionQuery = undefined;
    this.closePopup();
    this.attach({ kind: 'file', path });
    this.focus();
  }

  private open(options: Option[], empty?: string): void {
    this.options = options;
    this.active = 0;
    const items = options.map((o, i) => {
      const li = el('li', 'suggest-item');
      li.id = `suggest-${i}`;
      li.setAttribute('role', 'option');
      li.append(el('span', 'suggest-label', o.label), el('span', 'suggest-detail', o.detail));
      // mousedown, not click: the textarea keeps focus (a click would blur it first and close the list).
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        o.accept();
      });
      return li;
    });
    if (items.length === 0 && empty) items.push(el('li', 'suggest-empty', empty));
    this.popup.replaceChildren(...items);
    this.popup.hidden = items.length === 0;
    this.input.setAttribute('aria-expanded', String(!this.popup.hidden));
    this.highlight();
  }

  private highlight(): void {
    Array.from(this.popup.children).forEach((c, i) => c.setAttribute('aria-selected', String(i === this.active && this.options.length > 0)));
    if (this.options.length) this.input.setAttribute('aria-activedescendant', `suggest-${this.active}`);
    else this.input.removeAttribute('aria-activedescendant');
  }

  private closePopup(): void {
    this.options = [];
    this.popup.hidden = true;
    this.popup.replaceChildren();
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }
}
