// For hosts that enumerate files themselves (VS Code: workspace.findFiles, which applies
// files.exclude / search.exclude but not .gitignore): applies the same rules NodeFileSource applies
// while walking, so both sources list the same files. The host supplies the flat listing, a reader
// for ignore files and (when its listing has no sizes) a stat; this returns the accepted entries and
// fills the skip report.
import type { FileEntry, WorkspaceFilterOptions } from './types';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_FILES } from './types';
import { GENERATED_DIRS, PathFilter } from './filters';
import type { SkipReport } from './skip-report';
import { isIgnored, MAX_IGNORE_RULES_TOTAL, parseIgnoreFile, type IgnoreLayer } from './ignore-rules';
import { throwIfAborted } from '../util/abort';

/** What a host's stat says about a listed file. */
export interface HostStat {
  size: number;
  mtimeMs?: number;
  /** False for folders, devices and the like (a listing should not return them, but hosts differ). */
  isFile: boolean;
  /** Where the file really is, every link resolved ('/'- or platform-separated absolute path), when the
   * host can tell. Checked against `realRoots`: a file that resolves outside every root is skipped. */
  realPath?: string;
  /** The file, or a folder above it, is a symbolic link. Without `realPath` such a file cannot be shown to
   * stay inside the workspace and is skipped (hosts such as VS Code follow links while listing). */
  viaLink?: boolean;
}

export interface HostListingOptions extends WorkspaceFilterOptions {
  skipped: SkipReport;
  /** Reads an ignore file by relPath; null (or a rejection) when unreadable. Omit to skip .gitignore handling.
   * `.git/info/exclude` is asked for too, as the walker reads it. */
  readIgnoreFile?: (relPath: string) => Promise<string | null>;
  /** For listings without sizes: called (≤ 64 at a time) only for entries that passed the path rules, so
   * ignored and generated trees are never stat'ed. null = unreadable. Omitted: `entry.size` is used. */
  stat?: (entry: FileEntry) => Promise<HostStat | null>;
  /** Prepended to every relPath in the result and the skip report (multi-root workspaces: the folder
   * name plus '/'); the rules themselves see root-relative paths, like the walker. */
  pathPrefix?: string;
  signal?: AbortSignal;
  /** Files accepted so far, after each stat batch. */
  onProgress?: (accepted: number) => void;
  /** Real paths (links resolved) of every workspace folder; a stat's `realPath` must lie inside one. */
  realRoots?: readonly string[];
}

/** True when `real` is `root` or below it; both absolute real paths ('/' or '\\' separated). */
export function isInsideRoot(root: string, real: string): boolean {
  if (root === '') return false;
  const r = root.replace(/\\/g, '/').replace(/\/+$/, '');
  const p = real.replace(/\\/g, '/');
  return p === r || p.startsWith(`${r}/`) || r === '';
}

/** The link rule for a host stat: null when the file may be listed, else why not. */
function linkVerdict(st: HostStat, realRoots: readonly string[]): 'symlink-outside' | null {
  if (st.realPath !== undefined) return realRoots.some((r) => isInsideRoot(r, st.realPath!)) ? null : 'symlink-outside';
  return st.viaLink ? 'symlink-outside' : null;
}

const IGNORE_NAMES = new Set(['.gitignore', '.ignore']);
const MAX_IGNORE_FILE_CHARS = 1024 * 1024;
const STAT_BATCH = 64;

async function readOrNull(read: (p: string) => Promise<string | null>, relPath: string): Promise<string | null> {
  try {
    return await read(relPath);
  } catch {
    return null; // an unreadable ignore file ignores nothing, like git
  }
}

export async function filterHostListing(entries: readonly FileEntry[], opts: HostListingOptions): Promise<FileEntry[]> {
  const filter = new PathFilter(opts);
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const prefix = opts.pathPrefix ?? '';
  const { signal } = opts;
  const skip = (reason: Parameters<SkipReport['add']>[0], relPath: string): void => opts.skipped.add(reason, prefix + relPath);

  // Ignore files by folder, so each entry can evaluate its chain root → own folder. The repository's
  // .git/info/exclude comes first: .gitignore files override it, as in git.
  const layersByDir = new Map<string, IgnoreLayer[]>();
  const ruleBudget = { rules: MAX_IGNORE_RULES_TOTAL };
  const addLayer = (dir: string, content: string | null, file: string): void => {
    if (content !== null && content.length > MAX_IGNORE_FILE_CHARS) {
      skip('ignore-rules-capped', file); // like the walker, which does not read ignore files over 1 MiB
      return;
    }
    const layer = content === null ? null : parseIgnoreFile(dir, content, () => skip('ignore-rules-capped', file), ruleBudget);
    if (!layer) return;
    const list = layersByDir.get(dir) ?? [];
    list.push(layer);
    layersByDir.set(dir, list);
  };
  if (opts.readIgnoreFile && opts.useIgnoreFiles !== false) {
    addLayer('', await readOrNull(opts.readIgnoreFile, '.git/info/exclude'), '.git/info/exclude');
    const ignoreFiles = entries.filter((e) => IGNORE_NAMES.has(e.relPath.slice(e.relPath.lastIndexOf('/') + 1)));
    ignoreFiles.sort((a, b) => (a.relPath < b.relPath ? -1 : 1));
    for (const f of ignoreFiles) {
      throwIfAborted(signal);
      const dir = f.relPath.includes('/') ? f.relPath.slice(0, f.relPath.lastIndexOf('/')) : '';
      addLayer(dir, await readOrNull(opts.readIgnoreFile, f.relPath), f.relPath);
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

  // 1. Path rules (no I/O), in the order the walker meets them: folders on the way, then the file.
  const passed: FileEntry[] = [];
  const dirVerdicts = new Map<string, ReturnType<PathFilter['fileVerdict']>>();
  const sorted = [...entries].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    if (i % 256 === 0) throwIfAborted(signal);
    const e = sorted[i]!;
    const parts = e.relPath.split('/');
    const name = parts[parts.length - 1]!;
    if (parts.length - 1 > maxDepth) {
      skip('max-depth', e.relPath);
      continue;
    }
    let reason: ReturnType<PathFilter['fileVerdict']> = null;
    for (let d = 0; d < parts.length - 1 && !reason; d++) {
      const dirRel = parts.slice(0, d + 1).join('/');
      // Each folder is judged once per listing, not once per file below it.
      let v = dirVerdicts.get(dirRel);
      if (v === undefined) {
        v = GENERATED_DIRS.has(parts[d]!) ? 'generated-folder' : filter.directoryVerdict(parts[d]!, dirRel);
        if (!v && layersByDir.size > 0 && isIgnored(chainFor(d === 0 ? '' : parts.slice(0, d).join('/')), dirRel, true)) v = 'gitignore';
        dirVerdicts.set(dirRel, v);
      }
      reason = v;
    }
    const dir = parts.slice(0, -1).join('/');
    if (!reason && layersByDir.size > 0 && isIgnored(chainFor(dir), e.relPath, false)) reason = 'gitignore';
    // With a host stat to come, the size rule (the last one fileVerdict applies) waits for it.
    if (!reason) reason = filter.fileVerdict(name, e.relPath, opts.stat ? 0 : e.size);
    if (reason) skip(reason, e.relPath);
    else passed.push(e);
  }

  // 2. Sizes (host stat when given), then the file cap.
  const out: FileEntry[] = [];
  const accept = (e: FileEntry): boolean => {
    if (out.length >= maxFiles) {
      skip('max-files', e.relPath);
      return false;
    }
    out.push(prefix ? { ...e, relPath: prefix + e.relPath } : e);
    return true;
  };
  if (!opts.stat) {
    for (const e of passed) if (!accept(e)) break;
    opts.onProgress?.(out.length);
    return out;
  }
  const stat = opts.stat;
  for (let i = 0; i < passed.length && out.length < maxFiles; i += STAT_BATCH) {
    throwIfAborted(signal);
    const batch = passed.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((e) => stat(e).then((s) => s, () => null)));
    throwIfAborted(signal);
    for (let j = 0; j < batch.length; j++) {
      const e = batch[j]!;
      const st = stats[j];
      if (!st) skip('unreadable', e.relPath);
      else if (linkVerdict(st, opts.realRoots ?? [])) skip('symlink-outside', e.relPath);
      else if (!st.isFile) skip('not-regular', e.relPath);
      else if (st.size > filter.maxFileSize) skip('too-large', e.relPath);
      else if (!accept({ ...e, size: st.size, ...(st.mtimeMs !== undefined ? { mtimeMs: st.mtimeMs } : {}) })) break;
    }
    opts.onProgress?.(out.length);
  }
  return out;
}
