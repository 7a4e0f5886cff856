// Hosts the chat webview in the sidebar view and in editor panels: HTML with a fresh nonce, local
// resources only, and validation of every message before it reaches the controller.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parseWebviewMessage, ProtocolError, type ExtensionMessage } from '../protocol';
import type { ChatController } from './chat-controller';
import { makeNonce, renderWebviewHtml } from './webview-html';
import { writeMarker } from './e2e-markers';
import type { ChatFocusContext } from './chat-focus';

export const CHAT_VIEW_ID = 'selfextend.chatView';
export const CHAT_PANEL_TYPE = 'selfextend.chatPanel';

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

/** Wires one webview to the controller; returns a disposable that detaches it. */
function connect(webview: vscode.Webview, extensionUri: vscode.Uri, controller: ChatController, focus: ChatFocusContext, log: (l: string) => void): vscode.Disposable {
  webview.options = webviewOptions(extensionUri);
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  webview.html = renderWebviewHtml({
    nonce: makeNonce((n) => randomBytes(n)),
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'chat.css')).toString(),
  });
  // postMessage rejects once the webview is disposed; a message to a closed view is simply dropped.
  const detach = controller.attach((m: ExtensionMessage) => void webview.postMessage(m).then(undefined, () => undefined));
  const sub = webview.onDidReceiveMessage((raw: unknown) => {
    const msg = parseWebviewMessage(raw);
    if (msg instanceof ProtocolError) {
      log(`webview: ignored invalid message (${msg.message})`);
      return;
    }
    if (msg.type === 'ready') writeMarker('view-ready.json', { time: Date.now() });
    // Focus is VS Code's business (a context key for keybindings), not the conversation's.
    if (msg.type === 'focusChanged') return void focus.update(webview, msg.focused);
    void controller.handle(msg);
  });
  return { dispose: () => { detach(); sub.dispose(); void focus.forget(webview); } };
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private connection: vscode.Disposable | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly focus: ChatFocusContext,
    private readonly log: (l: string) => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.connection?.dispose();
    this.view = view;
    this.connection = connect(view.webview, this.extensionUri, this.controller, this.focus, this.log);
    view.onDidDispose(() => {
      this.connection?.dispose();
      this.connection = undefined;
      this.view = undefined;
    });
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  dispose(): void {
    this.connection?.dispose();
  }
}

/** Opens the chat as an editor tab (same conversation as the sidebar). */
export function openChatPanel(extensionUri: vscode.Uri, controller: ChatController, focus: ChatFocusContext, log: (l: string) => void): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(CHAT_PANEL_TYPE, 'SelfExtend Chat', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
    ...webviewOptions(extensionUri),
    retainContextWhenHidden: true,
  });
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chat.svg');
  const connection = connect(panel.webview, extensionUri, controller, focus, log);
  panel.onDidDispose(() => connection.dispose());
  return panel;
}
