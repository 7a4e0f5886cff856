// What SelfExtend does in an untrusted workspace (VS Code's Restricted Mode), and how the chat view says so.
// The extension never runs workspace code and sends nothing off the machine: it reads files into a prompt for
// a local model. The one thing a workspace could abuse is its own `selfextend.modelPath`: a repository could
// point it at a crafted file inside itself, which the extension would then parse and load onto the GPU. So
// package.json declares `capabilities.untrustedWorkspaces` as "limited" with that setting restricted (VS Code
// then ignores the workspace's value until the workspace is trusted), and everything else keeps working.
import * as vscode from 'vscode';

/** Settings whose workspace (and folder) values VS Code ignores in Restricted Mode; mirrors package.json. */
export const RESTRICTED_SETTINGS = ['selfextend.modelPath'] as const;

/**
 * The words the chat view shows in Restricted Mode, or undefined in a trusted workspace. `workspaceModelPath`
 * is the model path this workspace's own settings ask for (ignored while untrusted), if any.
 */
export function restrictedModeNote(trusted: boolean, workspaceModelPath?: string): string | undefined {
  if (trusted) return undefined;
  const ignored = workspaceModelPath
    ? `This workspace's settings ask for the model file "${workspaceModelPath}"; that is ignored`
    : "A model file set in this workspace's own settings (selfextend.modelPath) would be ignored";
  return (
    `Restricted Mode: this workspace is not trusted. ${ignored} until you trust the workspace, because a ` +
    'repository could point it at a crafted file; the model comes from your user settings. Everything else works: ' +
    'files are only read into the prompt, never run, and nothing leaves this machine.'
  );
}

/** The note for the current window. */
export function currentRestrictedModeNote(): string | undefined {
  const inspected = vscode.workspace.getConfiguration('selfextend').inspect<string>('modelPath');
  const fromWorkspace = inspected?.workspaceFolderValue || inspected?.workspaceValue || undefined;
  return restrictedModeNote(vscode.workspace.isTrusted, typeof fromWorkspace === 'string' && fromWorkspace.trim() ? fromWorkspace.trim() : undefined);
}
