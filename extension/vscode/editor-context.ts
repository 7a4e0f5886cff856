// What the user is looking at, as workspace-relative paths, for ranking the repository context.
import * as vscode from 'vscode';
import type { EditorContext } from '../core/context/gather';
import type { VscodeFileSource } from './vscode-file-source';

export function currentEditorContext(source: VscodeFileSource | undefined): EditorContext | undefined {
  if (!source) return undefined;
  const active = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  const activeFile = active ? source.relPathOf(active.document.uri) : undefined;
  const open = new Set<string>();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputText) {
        const rel = source.relPathOf(tab.input.uri);
        if (rel) open.add(rel);
      }
    }
  }
  const ctx: EditorContext = { activeFile, openFiles: [...open] };
  if (active && activeFile && !active.selection.isEmpty) {
    ctx.selection = { relPath: activeFile, startLine: active.selection.start.line + 1, endLine: active.selection.end.line + 1 };
  }
  return ctx;
}
