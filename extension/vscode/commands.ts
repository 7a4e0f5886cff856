// Command implementations (ids declared in package.json contributes.commands).
import * as vscode from 'vscode';
import type { ChatController } from './chat-controller';
import type { HostActions } from './host-actions';
import type { VscodeFileSource } from './vscode-file-source';
import { CHAT_VIEW_ID } from './chat-webview';
import type { LargeSummaryPlan } from './answer-backend';
import { formatDuration } from '../core/chat/summary-progress';

export interface CommandDeps {
  controller: ChatController;
  host: HostActions;
  fileSource(): VscodeFileSource | undefined;
  openPanel(): void;
  /** Runs a command body, turning failures into a notification (never an unhandled rejection). */
  guard(name: string, body: () => Promise<void>): Promise<void>;
}

async function focusChat(): Promise<void> {
  await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
}

/** Asks before a summary of many parts starts (its plan is known once the model is loaded). */
export function largeSummaryMessage(label: string, plan: LargeSummaryPlan): string {
  const time = plan.estimateMs !== undefined
    ? `${formatDuration(plan.estimateMs)} at the speed measured so far`
    : 'the time left is shown once the first part is done';
  return `Summarizing ${label} takes ${plan.parts} parts (${plan.requests} requests, ${plan.inputTokens.toLocaleString('en-US')} tokens): ${time}. ` +
    'Part summaries appear as they finish and Stop keeps them.';
}

function confirmLarge(label: string): (plan: LargeSummaryPlan) => Promise<boolean> {
  return async (plan) => {
    const go = 'Summarize';
    const picked = await vscode.window.showWarningMessage(largeSummaryMessage(label, plan), { modal: true }, go);
    return picked === go;
  };
}

/** 1-based lines of a selection; a selection ending at column 0 of a line does not include that line. */
export function selectionLines(sel: vscode.Selection): { startLine: number; endLine: number } {
  const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1;
  return { startLine: sel.start.line + 1, endLine };
}

function labelFor(doc: vscode.TextDocument, fs: VscodeFileSource | undefined): string {
  return (doc.uri.scheme === 'file' || doc.uri.scheme === 'vscode-remote' ? fs?.relPathOf(doc.uri) : undefined) ?? doc.uri.path.split('/').pop() ?? doc.fileName;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const reg = (id: string, body: (...args: unknown[]) => Promise<void>): vscode.Disposable =>
    vscode.commands.registerCommand(id, (...args: unknown[]) => d.guard(id, () => body(...args)));
  return [
    // An optional string argument asks it directly (for keybindings and other extensions).
    reg('selfextend.askWorkspace', async (question) => {
      await focusChat();
      d.controller.focusInput();
      if (typeof question === 'string' && question.trim()) await d.controller.ask(question.trim());
    }),
    reg('selfextend.summarizeFile', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('SelfExtend: open a file to summarize first.');
        return;
      }
      await focusChat();
      const label = labelFor(editor.document, d.fileSource());
      await d.controller.summarize(label, editor.document.getText(), undefined, confirmLarge(label));
    }),
    reg('selfextend.summarizeSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      const sel = editor?.selection;
      if (!editor || !sel || sel.isEmpty) {
        void vscode.window.showInformationMessage('SelfExtend: select some text to summarize first.');
        return;
      }
      await focusChat();
      const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1;
      const label = labelFor(editor.document, d.fileSource());
      await d.controller.summarize(label, editor.document.getText(sel), { startLine: sel.start.line + 1, endLine }, confirmLarge(label));
    }),
    reg('selfextend.selectModel', async () => void (await d.host.selectModel())),
    reg('selfextend.downloadModel', async () => d.host.downloadModel()),
    reg('selfextend.stop', async () => d.controller.stop()),
    reg('selfextend.showStatus', async () => d.host.showStatus()),
    reg('selfextend.openChatPanel', async () => d.openPanel()),
    reg('selfextend.focusChat', async () => {
      await focusChat();
      d.controller.focusInput();
    }),
    // Attaches the selection (or, without one, the current file) to the next question and focuses the box.
    reg('selfextend.askAboutSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      const rel = editor ? d.fileSource()?.relPathOf(editor.document.uri) : undefined;
      if (!editor || !rel) {
        void vscode.window.showInformationMessage('SelfExtend: open a workspace file and select the lines to ask about.');
        return;
      }
      const sel = editor.selection;
      await focusChat();
      if (sel.isEmpty) {
        d.controller.compose(undefined, [{ kind: 'file', path: rel }]);
      } else {
        d.controller.compose(undefined, [{ kind: 'selection', path: rel, ...selectionLines(sel) }]);
      }
    }),
    reg('selfextend.newChat', async () => {
      await focusChat();
      await d.controller.newChat();
    }),
  ];
}
