// Wires the extension together. Every entry point from VS Code (commands, webview messages,
// configuration events) is guarded: failures become notifications and log lines, never a crashed
// extension host.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import type { ErrorAction } from '../protocol';
import { ERROR_ACTION_LABELS } from '../protocol';
import { ChatController } from './chat-controller';
import { ChatViewProvider, CHAT_VIEW_ID, openChatPanel } from './chat-webview';
import { ChatFocusContext, CHAT_FOCUSED_CONTEXT } from './chat-focus';
import { registerCommands, selectionLines } from './commands';
import { WorkerBackend } from '../backend/client';
import { answerMarker, writeAnswerMarker, writeMarker } from './e2e-markers';
import { currentEditorContext } from './editor-context';
import { describeError } from './error-actions';
import { HistoryStore } from './history-store';
import { HostActions } from './host-actions';
import { registerLanguageModelIntegration } from './lm-integration';
import { showLoadNotifications } from './load-notification';
import { createModelDownloads, curatedModelInfos } from './model-downloads';
import { resolveAttachments } from './attachments';
import { FileSuggestions } from './file-suggestions';
import type { EditorFocus } from '../protocol';
import { OutputLog } from './output-log';
import { readSettings, SETTINGS_SECTION, toAssistantSettings, type ExtensionSettings } from './settings-schema';
import { statusBarText, type Activity } from './status-text';
import { VscodeFileSource } from './vscode-file-source';
import { ExtensionShutdown } from './shutdown';
import { inertNotificationText } from './notification-text';
import { currentRestrictedModeNote } from './workspace-trust';
import { resolveWindow } from '../core/chat/window';

let shutdown: ExtensionShutdown | undefined;

function readConfig(): ExtensionSettings {
  const cfg = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return readSettings((k) => cfg.get(k));
}

/** `~` and `${userHome}` in the model path, as users write them in settings.json. */
export function expandModelPath(p: string, home = homedir()): string {
  if (!p) return p;
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) return home + p.slice(1);
  return p.replace(/\$\{userHome\}/g, home);
}

export function activate(context: vscode.ExtensionContext): void {
  const log = new OutputLog();
  context.subscriptions.push(log);
  try {
    activateInner(context, log);
    log.line(`activated (VS Code ${vscode.version})`);
    writeMarker('activated.json', { time: Date.now(), version: String(context.extension.packageJSON.version ?? ''), vscode: vscode.version });
  } catch (e) {
    log.line(`activation failed: ${describeError(e).message}`);
    void vscode.window.showErrorMessage(inertNotificationText(`SelfExtend could not start: ${describeError(e).message}`));
  }
}

function activateInner(context: vscode.ExtensionContext, log: OutputLog): void {
  const settings = (): ExtensionSettings => {
    const s = readConfig();
    return { ...s, modelPath: expandModelPath(s.modelPath) };
  };

  // ---- workspace ----
  let source: { key: string; value: VscodeFileSource } | undefined;
  const fileSource = (): VscodeFileSource | undefined => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) return undefined;
    const s = settings();
    const key = JSON.stringify([folders.map((f) => f.uri.toString()), s.include, s.exclude, s.maxFileSize]);
    if (source?.key !== key) source = { key, value: new VscodeFileSource(folders, { include: s.include, exclude: s.exclude, maxFileSize: s.maxFileSize }) };
    return source.value;
  };

  // ---- assistant: the engine runs in the backend worker, never on this thread ----
  const backend = new WorkerBackend({
    settings: () => toAssistantSettings(settings()),
    source: () => fileSource() ?? null,
    editor: () => currentEditorContext(fileSource()),
    log: (l) => log.line(l),
  });
  const models = backend;
  context.subscriptions.push(showLoadNotifications(models));

  // ---- status bar ----
  const status = vscode.window.createStatusBarItem('selfextend.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'SelfExtend';
  status.command = 'selfextend.showStatus';
  let activity: Activity = { phase: 'idle' };
  const renderStatus = (): void => {
    const { text, tooltip } = statusBarText(models.getStatus(), activity);
    status.text = text;
    status.tooltip = tooltip;
  };
  renderStatus();
  status.show();
  context.subscriptions.push(status);

  // ---- chat ----
  const downloads = createModelDownloads({
    storageDir: context.globalStorageUri.fsPath,
    log: (l) => log.line(l),
    report: (d) => controller.setDownload(d),
  });
  const host = new HostActions({
    log,
    models,
    fileSource,
    settings,
    downloads,
    selfExtendSummary: () => {
      const s = toAssistantSettings(settings());
      const m = models.loadedModel();
      if (!m) return `enabled ${s.selfExtend.enabled}, G ${s.selfExtend.groupSize || 'auto'}, W ${s.selfExtend.neighborWindow || 'auto'}, target ${s.selfExtend.targetContext} tokens (model not loaded)`;
      try {
        return resolveWindow(s.selfExtend, m.contextLength, m.maxContext).description;
      } catch (e) {
        return `invalid settings: ${describeError(e).message}`;
      }
    },
  });
  context.subscriptions.push(host);

  const notifyError = (message: string, actions: ErrorAction[] = []): void => {
    const labels = actions.map((a) => ERROR_ACTION_LABELS[a]);
    void vscode.window.showErrorMessage(inertNotificationText(`SelfExtend: ${message}`), ...labels).then(
      (picked) => {
        const action = actions[labels.indexOf(picked ?? '')];
        if (action) void controller.handle(action === 'openSettings' ? { type: 'openSettings', query: SETTINGS_SECTION } : { type: action });
      },
      () => undefined,
    );
  };

  const suggestions = new FileSuggestions();
  const controller: ChatController = new ChatController({
    store: new HistoryStore(context.globalStorageUri.fsPath),
    backend,
    hostAction: async (a) => {
      if (a.type === 'suggestFiles') {
        const paths = await suggestions.suggest(fileSource(), a.query);
        controller.broadcastMessage({ type: 'fileSuggestions', query: a.query, paths });
      } else if (a.type === 'cancelDownload') {
        downloads.cancel();
      } else if (a.type === 'summarizeFile') {
        await vscode.commands.executeCommand('selfextend.summarizeFile');
      } else {
        await host.run(a);
      }
    },
    resolveAttachments: (attachments, signal) =>
      resolveAttachments(attachments, {
        maxBytes: settings().maxFileSize,
        countTokens: (t) => backend.countTokens(t),
        read: async (relPath) => {
          const uri = fileSource()?.uriOf(relPath);
          if (!uri || !vscode.workspace.getWorkspaceFolder(uri)) throw new Error(`${relPath} is not in the open workspace.`);
          const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
          if (open) return open.getText();
          try {
            return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
          } catch (e) {
            log.line(`attach ${relPath}: ${describeError(e).detail ?? describeError(e).message}`);
            throw new Error(`${relPath} could not be read (was it moved or deleted?).`);
          }
        },
      }, signal),
    curatedModels: curatedModelInfos(),
    modelStatus: () => models.getStatus(),
    restrictedNote: currentRestrictedModeNote,
    log: (l) => log.line(l),
    onProgress: (phase, fraction, detail) => {
      const wasBusy = activity.phase !== 'idle';
      activity = { phase, fraction, detail };
      renderStatus();
      // Drives the Stop button in the view title (package.json menus, `selfextend.busy`).
      if (wasBusy !== (phase !== 'idle')) void vscode.commands.executeCommand('setContext', 'selfextend.busy', phase !== 'idle').then(undefined, () => undefined);
    },
    // Errors of a request are shown once, in the chat view (which every command that asks focuses);
    // no second copy as a notification. Details go to the output channel (ChatController logs them).
    onChatDeleted: (chat, undo) => {
      // Delete is undoable: the chat sits in the trash folder (history-store) until Undo or TRASH_DAYS.
      const label = chat.title ? `"${chat.title}"` : 'the chat';
      void vscode.window.showInformationMessage(inertNotificationText(`SelfExtend: deleted ${label}.`), 'Undo').then(
        (picked) => (picked === 'Undo' ? undo() : undefined),
        () => undefined,
      );
    },
    onAnswerDone: (a) => {
      if (a.turn.timings) log.line(`answer ${a.index}: ${JSON.stringify({ ...answerMarker(a), text: undefined })}`);
      writeAnswerMarker(a);
    },
  });

  // deactivate() (and disposal of the subscriptions, should VS Code skip it) stops requests, lets
  // their chats be saved and destroys the GPU device.
  const ending = new ExtensionShutdown({ controllers: [controller], backend, models: { dispose: () => backend.shutdown() }, log: (l) => log.line(l) });
  shutdown = ending;
  context.subscriptions.push({ dispose: () => void ending.dispose() });

  // `selfextend.chatFocused` (keybindings for the chat itself, e.g. New Chat) follows the webviews' focus.
  const chatFocus = new ChatFocusContext(
    (focused) => vscode.commands.executeCommand('setContext', CHAT_FOCUSED_CONTEXT, focused),
    (focused) => writeMarker('chat-focus.json', { focused, time: Date.now() }),
  );
  const provider = new ChatViewProvider(context.extensionUri, controller, chatFocus, (l) => log.line(l));
  context.subscriptions.push(provider, vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: true } }));

  const guard = async (name: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (e) {
      const d = describeError(e);
      if (d.cancelled) return;
      log.line(`${name} failed: ${d.message}`);
      notifyError(d.message, d.actions);
    }
  };
  context.subscriptions.push(
    ...registerCommands({ controller, host, fileSource, openPanel: () => void openChatPanel(context.extensionUri, controller, chatFocus, (l) => log.line(l)), guard }),
  );

  // ---- the editor's file and selection, offered in the composer before sending ----
  let focusTimer: ReturnType<typeof setTimeout> | undefined;
  let lastFocus = '';
  const pushEditorFocus = (): void => {
    if (focusTimer) clearTimeout(focusTimer);
    focusTimer = setTimeout(() => {
      const ctx = currentEditorContext(fileSource());
      // A focused webview has no active text editor: keep what the user last looked at.
      if (!vscode.window.activeTextEditor && lastFocus) return;
      const focus: EditorFocus = {};
      if (ctx?.activeFile) focus.activeFile = ctx.activeFile;
      const sel = vscode.window.activeTextEditor?.selection;
      if (ctx?.selection && sel) focus.selection = { path: ctx.selection.relPath, ...selectionLines(sel) };
      const key = JSON.stringify(focus);
      if (key === lastFocus) return;
      lastFocus = key;
      controller.setEditorFocus(focus);
    }, 150);
  };
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(pushEditorFocus),
    vscode.window.onDidChangeTextEditorSelection(pushEditorFocus),
    { dispose: () => focusTimer && clearTimeout(focusTimer) },
  );
  pushEditorFocus();

  // ---- settings and model status ----
  const modelInfoChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(modelInfoChanged);
  const offStatus = models.onStatus(() => {
    renderStatus();
    controller.pushModelStatus();
    modelInfoChanged.fire();
  });
  context.subscriptions.push({ dispose: offStatus });
  // Trusting the workspace lifts Restricted Mode: the view drops its note (and the workspace's model path applies).
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    models.refreshStatus();
    void controller.pushState();
    modelInfoChanged.fire();
    log.line('workspace trusted: the workspace\'s own settings apply');
  }));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTINGS_SECTION)) return;
      // G/W/sampling are read per request; only the model key needs attention here.
      models.refreshStatus();
      controller.pushModelStatus();
      if (e.affectsConfiguration(`${SETTINGS_SECTION}.modelPath`)) void controller.modelChanged();
      modelInfoChanged.fire();
      log.line(`settings changed: ${JSON.stringify(toAssistantSettings(settings()).selfExtend)}`);
    }),
  );

  context.subscriptions.push(...registerLanguageModelIntegration(backend, (l) => log.line(l), modelInfoChanged.event, (p) => fileSource()?.uriOf(p)));
}

/** VS Code awaits the returned promise (bounded by SHUTDOWN_GRACE_MS inside). */
export function deactivate(): Promise<void> | undefined {
  const s = shutdown;
  shutdown = undefined;
  return s?.dispose();
}
