// Webview requests that need VS Code itself: clipboard, editors, pickers, settings, status report.
import * as vscode from 'vscode';
import type { HostAction } from './chat-controller';
import type { ModelStatusSource } from '../backend/client';
import type { OutputLog } from './output-log';
import type { VscodeFileSource } from './vscode-file-source';
import { SETTINGS_SECTION, type ExtensionSettings } from './settings-schema';
import { describeError } from './error-actions';
import { describeDevice, openDevice } from '../../gpu/device/gpu-device';
import { inertNotificationText } from './notification-text';

export interface ModelDownloads {
  /** Lets the user choose a curated model (or uses `modelId`) and downloads it with progress; returns its path. */
  downloadInteractive(modelId?: string): Promise<string | undefined>;
}

export interface HostDeps {
  log: OutputLog;
  models: ModelStatusSource;
  fileSource(): VscodeFileSource | undefined;
  settings(): ExtensionSettings;
  /** Human-readable G/W/N that the next request would use, for the status report. */
  selfExtendSummary(): string;
  downloads: ModelDownloads;
}

export class HostActions implements vscode.Disposable {
  /** Webview panels take focus from text editors, so remember the last one for Insert. */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly sub: vscode.Disposable;

  constructor(private readonly deps: HostDeps) {
    this.sub = vscode.window.onDidChangeActiveTextEditor((e) => {
      if (e) this.lastEditor = e;
    });
  }

  dispose(): void {
    this.sub.dispose();
  }

  async run(a: HostAction): Promise<void> {
    switch (a.type) {
      case 'copyCode':
        await vscode.env.clipboard.writeText(a.code);
        vscode.window.setStatusBarMessage('SelfExtend: code copied', 2000);
        return;
      case 'insertCode':
        return this.insert(a.code);
      case 'openFile':
        return this.openFile(a.path);
      case 'selectModel':
        await this.selectModel();
        return;
      case 'downloadModel':
        await this.downloadModel(a.modelId);
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', a.query ?? SETTINGS_SECTION);
        return;
      case 'showStatus':
        return this.showStatus();
    }
  }

  private async insert(code: string): Promise<void> {
    const visible = vscode.window.visibleTextEditors;
    const editor = vscode.window.activeTextEditor ?? (this.lastEditor && visible.includes(this.lastEditor) ? this.lastEditor : visible[0]);
    if (!editor) {
      // Nowhere to insert: put it in a new untitled document instead of dropping it.
      const doc = await vscode.workspace.openTextDocument({ content: code });
      await vscode.window.showTextDocument(doc);
      return;
    }
    const ok = await editor.edit((b) => {
      for (const sel of editor.selections) b.replace(sel, code);
    });
    if (!ok) throw new Error('The editor refused the edit (is it read-only?).');
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
  }

  private async openFile(relPath: string): Promise<void> {
    const uri = this.deps.fileSource()?.uriOf(relPath);
    // Only files inside an open workspace folder, whatever the webview asks for.
    if (!uri || !vscode.workspace.getWorkspaceFolder(uri)) {
      void vscode.window.showWarningMessage(inertNotificationText(`SelfExtend: '${relPath}' is not in the open workspace.`));
      return;
    }
    const column = this.lastEditor?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.window.showTextDocument(uri, { preview: true, viewColumn: column });
  }

  async selectModel(): Promise<string | undefined> {
    const current = this.deps.settings().modelPath;
    const picked = await vscode.window.showOpenDialog({
      title: 'Select a GGUF model',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
      defaultUri: current ? vscode.Uri.file(current) : undefined,
      openLabel: 'Use this model',
    });
    const file = picked?.[0];
    if (!file) return undefined;
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('modelPath', file.fsPath, vscode.ConfigurationTarget.Global);
    this.deps.log.line(`model path set to ${file.fsPath}`);
    return file.fsPath;
  }

  async downloadModel(modelId?: string): Promise<void> {
    const path = await this.deps.downloads.downloadInteractive(modelId);
    if (!path) return;
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('modelPath', path, vscode.ConfigurationTarget.Global);
    this.deps.log.line(`model downloaded to ${path} and selected`);
  }

  async showStatus(): Promise<void> {
    const { log, models } = this.deps;
    const s = this.deps.settings();
    const status = models.getStatus();
    log.line('---- SelfExtend engine status ----');
    log.line(`model path: ${s.modelPath || '(not set)'}`);
    log.line(`model state: ${status.phase}${status.fraction !== undefined ? ` ${Math.round(status.fraction * 100)}%` : ''}${status.message ? ` — ${status.message}` : ''}`);
    const m = models.loadedModel();
    if (m) {
      log.line(`model: ${m.name || '(unnamed)'} · ${m.architecture} · ${m.nLayers} layers · ${(m.nParams / 1e6).toFixed(0)}M params · trained context L=${m.contextLength} · KV capacity ${m.maxContext} tokens`);
      log.line(`device: ${m.device} (in the model worker)`);
    } else {
      try {
        const ctx = await openDevice({ powerPreference: s.gpuPowerPreference });
        log.line(`device: ${describeDevice(ctx.info)}`);
        ctx.device.destroy();
      } catch (e) {
        log.line(`device: unavailable — ${describeError(e).message}`);
      }
    }
    log.line(`SelfExtend: ${this.deps.selfExtendSummary()}`);
    log.line(`sampling: temperature ${s.temperature}, top-p ${s.topP}, max new tokens ${s.maxNewTokens}; GPU preference ${s.gpuPowerPreference}`);
    log.line(`context: include [${s.include.join(', ')}], exclude [${s.exclude.join(', ')}], max file size ${s.maxFileSize} bytes`);
    log.show();
  }
}
