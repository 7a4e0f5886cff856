// Webview entry point: wires the VS Code host API, the state reducer and the view.
import type { ExtensionMessage } from '../extension/protocol';
import { initialState, reduce } from './chat-state';
import { ChatView } from './view';
import { getVsCodeApi, readPersisted } from './vscode-api';

const api = getVsCodeApi();
let state = initialState();
const root = document.getElementById('root') ?? document.body;
const view = new ChatView(root, (m) => api.postMessage(m), readPersisted(api).draft ?? '', (draft) => api.setState({ draft }));
view.renderAll(state);

// Messages come from our extension host only (VS Code does not deliver other origins' messages to this
// listener), but a shape check keeps a stray event from throwing inside the reducer.
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') return;
  const [next, change] = reduce(state, msg as ExtensionMessage);
  state = next;
  switch (change.kind) {
    case 'all':
      view.renderAll(state);
      break;
    case 'turn':
      view.renderTurnLater(state, change.turnId);
      break;
    case 'chrome':
      view.renderChrome(state);
      break;
    case 'composer':
      view.renderComposer(state);
      break;
    case 'compose':
      view.compose(change.text, change.attachments);
      break;
    case 'focusInput':
      view.focusInput();
      break;
  }
});

api.postMessage({ type: 'ready' });
view.focusInput();

// When the view itself receives focus (a keyboard shortcut, the view's focus command, a click on its
// title) and nothing inside it holds focus, the caret goes to the question box. The host is told about
// focus either way: keybindings for the chat (New Chat) are bound to its `selfextend.chatFocused` key.
window.addEventListener('focus', () => {
  if (document.activeElement === null || document.activeElement === document.body) view.focusInput();
  api.postMessage({ type: 'focusChanged', focused: true });
});
window.addEventListener('blur', () => api.postMessage({ type: 'focusChanged', focused: false }));
if (document.hasFocus()) api.postMessage({ type: 'focusChanged', focused: true });
