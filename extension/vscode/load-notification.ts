// A cancellable progress notification for as long as the model is loading, whoever started the load.
import * as vscode from 'vscode';
import type { ModelStatus } from '../protocol';
import type { ModelStatusSource } from '../backend/client';
import { inertNotificationText } from './notification-text';

/**
 * A load that ends (or fails) within this time shows no notification at all: a toast that appears and
 * vanishes at once is noise, and a failed load's error is shown once, in the chat view.
 */
const SHOW_AFTER_MS = 700;

export function showLoadNotifications(models: ModelStatusSource): vscode.Disposable {
  let active: { report(fraction: number): void; done(): void } | undefined;
  let waiting: { timer: NodeJS.Timeout; name: string; fraction: number } | undefined;
  const stop = (): void => {
    if (waiting) clearTimeout(waiting.timer);
    waiting = undefined;
    active?.done();
    active = undefined;
  };
  const off = models.onStatus((s: ModelStatus) => {
    if (s.phase !== 'loading') return stop();
    const fraction = s.fraction ?? 0;
    if (active) return active.report(fraction);
    if (waiting) {
      waiting.fraction = fraction;
      return;
    }
    const w = {
      name: s.name ?? 'model',
      fraction,
      timer: setTimeout(() => {
        if (waiting !== w) return;
        waiting = undefined;
        active = open(models, w.name);
        active.report(w.fraction);
      }, SHOW_AFTER_MS),
    };
    waiting = w;
  });
  return { dispose: () => { off(); stop(); } };
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
