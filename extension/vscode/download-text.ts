// Words about model downloads for the chat view. Pure (no vscode) so tests cover them directly.
import { describeError, offlineMessage } from './error-actions';

/** The catalog's note without its size: the view shows the size once, from the byte count. */
export function noteWithoutSize(detail: string): string {
  return detail
    // "; 1.04 GiB file," (the catalog's wording) or an older "; 1.04 GiB," — the file's size only;
    // GPU memory figures ("about 1.65 GiB of GPU memory") stay.
    .replace(/[;,]?\s*\d+(?:\.\d+)?\s*[GM]i?B(?: file)?(?=[,.;])/g, '')
    .replace(/^[,;]\s*/, '')
    .replace(/;\s*[,;]/g, ';')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** Plain words for a failed download; `offline` when the network never answered. */
export function downloadFailure(e: unknown): { message: string; offline: boolean } {
  const offline = offlineMessage(e);
  if (offline) return { message: `${offline} Check your connection, then Retry (a partial download resumes).`, offline: true };
  const d = describeError(e);
  // The downloader's messages name the URL; the view has little room and the log has the details.
  return { message: d.message.replace(/\s*(?:for|from|of)\s+https?:\/\/\S+/g, '').replace(/https?:\/\/\S+/g, 'the server'), offline: false };
}

