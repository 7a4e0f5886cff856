// The `selfextend.chatFocused` context key: true while keyboard focus is inside one of our chat webviews
// (the sidebar view or an editor panel). Keybindings meant for the chat itself use it as their `when`.
//
// Why a key of our own: VS Code sets none that says "focus is in this webview view". With focus in the
// chat's question box, `focusedView` is '' and `view == selfextend.chatView` and `sideBarFocus` are false
// (measured with keyboard-shortcut troubleshooting in code-server 4.99.4); only `activeViewlet` matches,
// and that stays true while the user types in an editor beside the view. A key forwarded from the
// webview then fell through to the built-in binding — in the browser workbench Ctrl+Alt+N is "New
// Untitled Text File" (Ctrl+N belongs to the browser), so "new chat" opened an untitled editor instead.
//
// The webview reports its window's focus and blur; this class turns the reports of all open chat
// webviews into one boolean and sets the context only when that changes, in order.

export const CHAT_FOCUSED_CONTEXT = 'selfextend.chatFocused';

export class ChatFocusContext {
  private readonly focused = new Set<object>();
  private applied = false;
  private queue: Promise<void> = Promise.resolve();

  /**
   * @param apply sets the context key (`setContext`); resolves once VS Code has it.
   * @param onApplied called after each change took effect (the e2e marker).
   */
  constructor(
    private readonly apply: (focused: boolean) => PromiseLike<unknown>,
    private readonly onApplied: (focused: boolean) => void = () => undefined,
  ) {}

  /** Records that `owner` (one webview) gained or lost focus; resolves when the context key agrees. */
  update(owner: object, focused: boolean): Promise<void> {
    if (focused) this.focused.add(owner);
    else this.focused.delete(owner);
    // Chained, so changes land in order; each step applies the state of its moment, so a blur followed at
    // once by a focus (moving from the view to a panel) need not flip the key off and on.
    this.queue = this.queue.then(async () => {
      const want = this.focused.size > 0;
      if (want === this.applied) return;
      try {
        await this.apply(want);
        this.applied = want;
        this.onApplied(want);
      } catch {
        // A failed setContext leaves the key as it was; the next report tries again.
      }
    });
    return this.queue;
  }

  /** A webview went away: it holds no focus any more. */
  forget(owner: object): Promise<void> {
    return this.update(owner, false);
  }

  get isFocused(): boolean {
    return this.applied;
  }
}
