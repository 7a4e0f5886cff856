// Typed access to the webview host API that VS Code injects as a global.
import type { WebviewMessage } from '../extension/protocol';

export interface PersistedWebviewState {
  draft?: string;
}

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(s: PersistedWebviewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export function getVsCodeApi(): VsCodeApi {
  return acquireVsCodeApi();
}

export function readPersisted(api: VsCodeApi): PersistedWebviewState {
  const s = api.getState();
  if (typeof s === 'object' && s !== null && typeof (s as { draft?: unknown }).draft === 'string') return { draft: (s as { draft: string }).draft };
  return {};
}
