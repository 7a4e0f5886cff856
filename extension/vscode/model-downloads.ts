// Placeholder until extension/core/models lands (curated list + downloader).
import type { CuratedModelInfo } from '../protocol';
import type { ModelDownloads } from './host-actions';

export function curatedModelInfos(): CuratedModelInfo[] {
  return [];
}

export function createModelDownloads(_storageDir: string, _log: (l: string) => void): ModelDownloads {
  return {
    async downloadInteractive() {
      throw new Error('Model downloads are not available in this build yet; pick a local .gguf file instead.');
    },
  };
}
