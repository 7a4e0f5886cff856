// A cancellable progress notification for as long as the model is loading, whoever started the load.
import * as vscode from 'vscode';
import type { ModelStatus } from '../protocol';
import type { ModelStatusSource } from '../backend/client';
import { inertNotificationText } from './notification-text';

export function showLoadNotifications(models: ModelStatusSource): vscode.Disposable {
  let active: { report(fraction: number): void; done(): void } | undefined;
  const off = models.onStatus((s: ModelStatus) => {
    if (s.phase === 'loading') {
      if (!active) active = open(models, s.name ?? 'model');
      active.report(s.fraction ?? 0);
    } else if (active) {
      active.done();
      active = undefined;
    }
  });
  return { dispose: () => { off(); active?.done(); } };
}

function open(models: ModelStatusSource, name: string): { report(fraction: number): void; done(): void } {
  let last = 0;
  let pending: { fraction: number } | undefined;
  let progressRef: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: inertNotificationText(`SelfExtend: loading ${name}`), cancellable: true },
    async (progress, token) => {
      progressRef = progress;
      token.onCancellationRequested(() => models.cancelLoad());
      if (pending) report(pending.fraction);
      await finished;
    },
  );
  const report = (fraction: number): void => {
    if (!progressRef) {
      pending = { fraction };
      return;
    }
    const pct = Math.round(fraction * 100);
    if (pct <= last) return;
    progressRef.report({ increment: pct - last, message: `${pct}%` });
    last = pct;
  };
  return { report, done: () => finish() };
}
