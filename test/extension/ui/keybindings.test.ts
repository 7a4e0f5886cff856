import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ChatFocusContext, CHAT_FOCUSED_CONTEXT } from '../../../extension/vscode/chat-focus';

interface Keybinding { command: string; key: string; mac?: string; when?: string }
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  contributes: { keybindings: Keybinding[]; menus: Record<string, { command: string; when?: string }[]> };
};
const bindings = pkg.contributes.keybindings;

/** Evaluates the `when` clauses used here (identifiers, !, &&, ||; && binds tighter) against a context. */
function holds(when: string | undefined, ctx: Record<string, boolean>): boolean {
  if (when === undefined) return true;
  return when.split('||').some((conj) => conj.split('&&').every((term) => {
    const t = term.trim();
    const negated = t.startsWith('!');
    const name = negated ? t.slice(1).trim() : t;
    assert.match(name, /^[A-Za-z.]+$/, `unsupported when term '${t}'`);
    return negated ? !ctx[name] : ctx[name] === true;
  }));
}

function bindingOf(command: string): Keybinding {
  const b = bindings.find((k) => k.command === command);
  assert.ok(b, `${command} has no keybinding`);
  return b;
}

describe('extension keybindings (package.json)', () => {
  it('binds focusing the chat, asking about the selection and a new chat, on every platform', () => {
    for (const c of ['selfextend.focusChat', 'selfextend.askAboutSelection', 'selfextend.newChat']) {
      const b = bindingOf(c);
      assert.match(b.key, /^ctrl\+alt\+[a-z]$/, c);
      assert.match(b.mac ?? '', /^cmd\+alt\+[a-z]$/, c);
    }
  });

  it('one key focuses the chat, or with lines selected in an editor asks about them: never both, never neither', () => {
    const focus = bindingOf('selfextend.focusChat');
    const ask = bindingOf('selfextend.askAboutSelection');
    assert.equal(focus.key, ask.key);
    for (const editorTextFocus of [false, true]) {
      for (const editorHasSelection of [false, true]) {
        const ctx = { editorTextFocus, editorHasSelection };
        assert.equal(holds(focus.when, ctx), !(editorTextFocus && editorHasSelection), JSON.stringify(ctx));
        assert.equal(holds(ask.when, ctx), editorTextFocus && editorHasSelection, JSON.stringify(ctx));
      }
    }
  });

  it('New Chat holds only while the chat has focus (the browser workbench binds Ctrl+Alt+N to New Untitled Text File)', () => {
    const b = bindingOf('selfextend.newChat');
    assert.equal(b.key, 'ctrl+alt+n');
    assert.equal(holds(b.when, { [CHAT_FOCUSED_CONTEXT]: true }), true);
    assert.equal(holds(b.when, { [CHAT_FOCUSED_CONTEXT]: false, editorTextFocus: true }), false);
  });

  it('uses no chord a browser keeps for itself', () => {
    // Chromium does not let pages override these (new/close window or tab), and on macOS Cmd+Alt+I/J/C/U open
    // its developer tools or page source before the workbench sees them.
    const reserved = new Set(['ctrl+n', 'ctrl+t', 'ctrl+w', 'ctrl+shift+n', 'ctrl+shift+t', 'ctrl+shift+w', 'ctrl+tab', 'ctrl+shift+tab']);
    const reservedMac = new Set(['cmd+n', 'cmd+t', 'cmd+w', 'cmd+q', 'cmd+alt+i', 'cmd+alt+j', 'cmd+alt+c', 'cmd+alt+u']);
    for (const b of bindings) {
      assert.ok(!reserved.has(b.key), `${b.command}: ${b.key}`);
      if (b.mac) assert.ok(!reservedMac.has(b.mac), `${b.command}: ${b.mac}`);
    }
  });

  it('the editor context menu offers Ask About Selection when there is a selection', () => {
    const item = pkg.contributes.menus['editor/context'].find((m) => m.command === 'selfextend.askAboutSelection');
    assert.ok(item, 'no Ask About Selection in editor/context');
    assert.equal(holds(item.when, { editorHasSelection: true }), true);
    assert.equal(holds(item.when, { editorHasSelection: false }), false);
  });
});

describe('extension/vscode ChatFocusContext', () => {
  function recorder(): { calls: boolean[]; applied: boolean[]; ctx: ChatFocusContext } {
    const calls: boolean[] = [];
    const applied: boolean[] = [];
    const ctx = new ChatFocusContext(async (v) => void calls.push(v), (v) => applied.push(v));
    return { calls, applied, ctx };
  }

  it('is focused while any chat webview is, and sets the context only when that changes', async () => {
    const { calls, applied, ctx } = recorder();
    const view = {}, panel = {};
    await ctx.update(view, true);
    await ctx.update(view, true);
    assert.deepEqual(calls, [true]);
    // Focus moves from the view to the panel: blur of one, focus of the other; the key stays set.
    void ctx.update(view, false);
    await ctx.update(panel, true);
    assert.deepEqual(calls, [true]);
    assert.equal(ctx.isFocused, true);
    await ctx.update(panel, false);
    assert.deepEqual(calls, [true, false]);
    assert.deepEqual(applied, [true, false]);
    assert.equal(ctx.isFocused, false);
  });

  it('applies changes in the order they were reported, even when setContext is slow', async () => {
    const calls: boolean[] = [];
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const inFirst = new Promise<void>((r) => (entered = r));
    const ctx = new ChatFocusContext(async (v) => {
      if (calls.length === 0) {
        entered();
        await gate;
      }
      calls.push(v);
    });
    const view = {};
    const first = ctx.update(view, true);
    await inFirst; // the blur arrives while VS Code has not yet confirmed the focus
    const second = ctx.update(view, false);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(calls, [true, false]);
    assert.equal(ctx.isFocused, false);
  });

  it('a disposed webview gives up its focus; a failed setContext is retried by the next report', async () => {
    let fail = true;
    const calls: boolean[] = [];
    const ctx = new ChatFocusContext(async (v) => {
      calls.push(v);
      if (fail) throw new Error('setContext failed');
    });
    const view = {};
    await ctx.update(view, true);
    assert.equal(ctx.isFocused, false);
    fail = false;
    await ctx.update(view, true);
    assert.equal(ctx.isFocused, true);
    await ctx.forget(view);
    assert.equal(ctx.isFocused, false);
    assert.deepEqual(calls, [true, true, false]);
  });
});
