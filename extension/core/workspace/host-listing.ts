// For hosts that enumerate files themselves (VS Code: workspace.findFiles, which applies
// files.exclude / search.exclude but not .gitignore): applies the same rules NodeFileSource applies
// while walking, so both sources list the same files. The host supplies the flat listing and a
// reader for ignore files; this returns the accepted entries and fills the skip report.
import type { FileEntry, WorkspaceFilterOptions } from './types';
import { DEFAULT_MAX_FILES } from './types';
import { GENERATED_DIRS, PathFilter } from './filters';
import type { SkipReport } from './skip-report';
import { isIgnored, parseIgnoreFile, type IgnoreLayer } from './ignore-rules';
import { throwIfAborted } from '../util/abort';

export interface HostListingOptions extends WorkspaceFilterOptions {
  skipped: SkipReport;
  /** Reads an ignore file by relPath; null when unreadable. Omit to skip .gitignore handling. */
  readIgnoreFile?: (relPath: string) => Promise<string | null>;
  signal?: AbortSignal;
}

const IGNORE_NAMES = new Set(['.gitignore', '.ignore']);

export async function filterHostListing(entries: readonly FileEntry[], opts: HostListingOptions): Promise<FileEntry[]> {
  const filter = new PathFilter(opts);
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  const maxDepth = opts.maxDepth ?? 64;
  const { skipped, signal } = opts;

  // Ignore files by folder, so each entry can evaluate its chain root → own folder.
  const layersByDir = new Map<string, IgnoreLayer[]>();
  if (opts.readIgnoreFile && opts.useIgnoreFiles !== false) {
    const ignoreFiles = entries.filter((e) => IGNORE_NAMES.has(e.relPath.slice(e.relPath.lastIndexOf('/') + 1)));
    ignoreFiles.sort((a, b) => (a.relPath < b.relPath ? -1 : 1));
    for (const f of ignoreFiles) {
      throwIfAborted(signal);
      const content = await opts.readIgnoreFile(f.relPath);
      if (content === null) continue;
      const dir = f.relPath.includes('/') ? f.relPath.slice(0, f.relPath.lastIndexOf('/')) : '';
      const layer = parseIgnoreFile(dir, content);
      if (!layer) continue;
      const list = layersByDir.get(dir) ?? [];
      list.push(layer);
      layersByDir.set(dir, list);
    }
  }
  const chainCache = new Map<string, IgnoreLayer[]>();
  const chainFor = (dir: string): IgnoreLayer[] => {
    let c = chainCache.get(dir);
    if (c) return c;
    const parent = dir === '' ? null : dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    c = [...(parent === null ? [] : chainFor(parent)), ...(layersByDir.get(dir) ?? [])];
    chainCache.set(dir, c);
    return c;
  };

  const out: FileEntry[] = [];
  const sorted = [...entries].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    if (i % 256 === 0) throwIfAborted(signal);
    const e = sorted[i]!;
    const parts = e.relPath.split('/');
    const name = parts[parts.length - 1]!;
    if (parts.length - 1 > maxDepth) {
      skipped.add('max-depth', e.relPath);
      continue;
    }
    let reason: ReturnType<PathFilter['fileVerdict']> = null;
    // Folder rules first, the same order the walker meets them in.
    for (let d = 0; d < parts.length - 1 && !reason; d++) {
      const dirRel = parts.slice(0, d + 1).join('/');
      if (GENERATED_DIRS.has(parts[d]!)) reason = 'generated-folder';
      else reason = filter.directoryVerdict(parts[d]!, dirRel);
      if (!reason && layersByDir.size > 0 && isIgnored(chainFor(d === 0 ? '' : parts.slice(0, d).join('/')), dirRel, true)) reason = 'gitignore';
    }
    const dir = parts.slice(0, -1).join('/');
    if (!reason && layersByDir.size > 0 && isIgnored(chainFor(dir), e.relPath, false)) reason = 'gitignore';
    if (!reason) reason = filter.fileVerdict(name, e.relPath, e.size);
    if (reason) {
      skipped.add(reason, e.relPath);
      continue;
    }
    if (out.length >= maxFiles) {
      skipped.add('max-files', e.relPath);
      break;
    }
    out.push(e);
  }
  return out;
}
