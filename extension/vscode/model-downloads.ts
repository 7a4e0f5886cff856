// Downloading a curated model into globalStorage: quick pick with sizes, a cancellable progress
// notification, resume of an interrupted download (the core downloader keeps a .part file), and
// SHA-256 verification (a mismatch removes the file and says so).
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_CATALOG, findCatalogModel, formatSize, downloadFile, type CatalogModel } from '../core/models';
import type { CuratedModelInfo } from '../protocol';
import type { ModelDownloads } from './host-actions';

export function curatedModelInfos(): CuratedModelInfo[] {
  return MODEL_CATALOG.map((m) => ({ id: m.id, label: m.name, sizeBytes: m.sizeBytes, note: m.detail }));
}

export function modelsDir(storageDir: string): string {
  return join(storageDir, 'models');
}

async function pick(): Promise<CatalogModel | undefined> {
  const items = MODEL_CATALOG.map((m) => ({ label: m.name, description: formatSize(m.sizeBytes), detail: `${m.detail} Trained window ${m.contextLength} tokens · ${m.license}`, model: m }));
  const chosen = await vscode.window.showQuickPick(items, { title: 'Download a model (stored in the extension\'s global storage)', matchOnDetail: true, ignoreFocusOut: true });
  return chosen?.model;
}

export function createModelDownloads(storageDir: string, log: (l: string) => void): ModelDownloads {
  let running: Promise<string | undefined> | undefined;
  return {
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
        log(`download: ${model.url} → ${dest}`);
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `SelfExtend: downloading ${model.name}`, cancellable: true },
          async (progress, token) => {
            const ac = new AbortController();
            token.onCancellationRequested(() => ac.abort());
            let lastPct = 0;
            return downloadFile({
              url: model.url,
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
              },
            });
          },
        );
        log(`download: done, ${result.bytes} bytes, sha256 ${result.sha256}${result.verified ? ' (verified)' : ''}${result.resumed ? ', resumed' : ''}`);
        if (model.suggestedTargetContext) {
          const cfg = vscode.workspace.getConfiguration('selfextend');
          const current = cfg.get<number>('targetContext');
          if (current === undefined || current < model.suggestedTargetContext) {
            log(`tip: ${model.name} is a SelfExtend showcase; selfextend.targetContext ${model.suggestedTargetContext} stretches its ${model.contextLength}-token window`);
          }
        }
        return result.path;
      })().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
