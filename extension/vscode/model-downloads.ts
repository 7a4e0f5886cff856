// Downloading a curated model into globalStorage: quick pick with sizes, progress in the chat view
// (and a cancellable notification), resume of an interrupted download (the core downloader keeps a
// .part file), and SHA-256 verification. Failures are reported in plain words in the view, with
// Retry; the raw error (errno, URL) goes to the output channel only.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_CATALOG, findCatalogModel, formatSize, downloadFile, type CatalogModel } from '../core/models';
import type { CuratedModelInfo, DownloadStatus } from '../protocol';
import type { ModelDownloads } from './host-actions';
import { describeError } from './error-actions';
import { downloadFailure, noteWithoutSize } from './download-text';
import { e2eDownloadUrl } from './e2e-markers';

export function curatedModelInfos(): CuratedModelInfo[] {
  return MODEL_CATALOG.map((m) => ({ id: m.id, label: m.name, sizeBytes: m.sizeBytes, note: noteWithoutSize(m.detail) }));
}

export function modelsDir(storageDir: string): string {
  return join(storageDir, 'models');
}

async function pick(): Promise<CatalogModel | undefined> {
  const items = MODEL_CATALOG.map((m) => ({ label: m.name, description: formatSize(m.sizeBytes), detail: `${noteWithoutSize(m.detail)} Trained window ${m.contextLength} tokens · ${m.license}`, model: m }));
  const chosen = await vscode.window.showQuickPick(items, { title: 'Download a model (stored in the extension\'s global storage)', matchOnDetail: true, ignoreFocusOut: true });
  return chosen?.model;
}

export interface DownloadDeps {
  storageDir: string;
  log(line: string): void;
  /** Progress and outcome, for the chat view. */
  report(status: DownloadStatus): void;
}

export function createModelDownloads(deps: DownloadDeps): ModelDownloads & { cancel(): void } {
  const { storageDir, log, report } = deps;
  let running: Promise<string | undefined> | undefined;
  let abort: AbortController | undefined;
  return {
    cancel(): void {
      abort?.abort();
    },
    downloadInteractive(modelId?: string): Promise<string | undefined> {
      // One download at a time: a second click while one runs just waits for it.
      if (running) return running;
      running = (async () => {
        const model = modelId ? findCatalogModel(modelId) : await pick();
        if (!model) return undefined;
        const dir = modelsDir(storageDir);
        await mkdir(dir, { recursive: true });
        const dest = join(dir, model.fileName);
        if (existsSync(dest)) {
          log(`download: ${model.fileName} is already in ${dir}`);
          return dest;
        }
        const url = e2eDownloadUrl(model.fileName) ?? model.url;
        log(`download: ${url} → ${dest}`);
        const status: DownloadStatus = { modelId: model.id, label: model.name, state: 'running', receivedBytes: 0, totalBytes: model.sizeBytes };
        report({ ...status });
        const ac = new AbortController();
        abort = ac;
        let lastReport = 0;
        try {
          const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `SelfExtend: downloading ${model.name}`, cancellable: true },
            async (progress, token) => {
              token.onCancellationRequested(() => ac.abort());
              let lastPct = 0;
              return downloadFile({
                url,
                dest,
                expectedSha256: model.sha256,
                expectedSize: model.sizeBytes,
                signal: ac.signal,
                onProgress: (p) => {
                  const total = p.totalBytes || model.sizeBytes;
                  const pct = Math.floor((p.receivedBytes / total) * 100);
                  if (pct > lastPct) {
                    progress.report({ increment: pct - lastPct, message: `${formatSize(p.receivedBytes)} of ${formatSize(total)}${p.resumedFrom ? ' (resumed)' : ''}` });
                    lastPct = pct;
                  }
                  // The view gets at most about four updates a second.
                  const now = Date.now();
                  if (now - lastReport >= 250) {
                    lastReport = now;
                    report({ ...status, receivedBytes: p.receivedBytes, totalBytes: total });
                  }
                },
              });
            },
          );
          log(`download: done, ${result.bytes} bytes, sha256 ${result.sha256}${result.verified ? ' (verified)' : ''}${result.resumed ? ', resumed' : ''}`);
          report({ ...status, state: 'done', receivedBytes: result.bytes, totalBytes: result.bytes });
          if (model.suggestedTargetContext) {
            const cfg = vscode.workspace.getConfiguration('selfextend');
            const current = cfg.get<number>('targetContext');
            if (current === undefined || current < model.suggestedTargetContext) {
              log(`tip: ${model.name} is a SelfExtend showcase; selfextend.targetContext ${model.suggestedTargetContext} stretches its ${model.contextLength}-token window`);
            }
          }
          return result.path;
        } catch (e) {
          const d = describeError(e);
          if (d.cancelled || ac.signal.aborted) {
            log('download: cancelled');
            report({ ...status, state: 'cancelled' });
            return undefined;
          }
          const failure = downloadFailure(e);
          log(`download failed: ${e instanceof Error ? e.message : String(e)}${(e as { code?: unknown })?.code ? ` (${String((e as { code?: unknown }).code)})` : ''}`);
          // Shown in the view with Retry; not thrown, so it does not also become a notification.
          report({ ...status, state: 'failed', message: failure.message, offline: failure.offline });
          return undefined;
        } finally {
          abort = undefined;
        }
      })().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
