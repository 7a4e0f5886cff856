// The workspace abstraction shared by the extension (VS Code implementation, owned by the UI layer)
// and the CLI (Node fs implementation, ./node-file-source.ts). Pure data + async iteration: no `vscode`.
import type { SkipReport } from './skip-report';

/** One candidate file. Sizes come from a stat, never from reading the file. */
export interface FileEntry {
  /** Path relative to the workspace root, '/'-separated, no leading './'. Stable identity of the file. */
  relPath: string;
  size: number;
  /** Modification time in ms when known; used to notice changed files between chat turns. */
  mtimeMs?: number;
  /** Opaque URI string for hosts that address files by URI (VS Code); the Node source leaves it unset. */
  uri?: string;
}

export interface ListProgress {
  /** Directories read so far (the VS Code source may report 0: findFiles does not expose it). */
  dirsScanned: number;
  /** Files accepted so far. */
  filesListed: number;
  /** Entries skipped so far (all reasons). */
  skipped: number;
}

export interface ListOptions {
  /** Checked between every directory and file: cancellation lands within one fs call. */
  signal?: AbortSignal;
  onProgress?: (p: ListProgress) => void;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/**
 * A read-only view of a workspace. `list` yields only files that passed the path-level filters
 * (ignore files, globs, lock files, generated folders, size, symlink policy); binary sniffing needs
 * the bytes and is done by the reader (./read-text.ts) so every implementation gets it for free.
 */
export interface FileSource {
  /** Human-readable root (a folder path or a workspace name), for prompts and reports. */
  readonly rootLabel: string;
  /** What was left out, with reasons; filled while listing and by readers. */
  readonly skipped: SkipReport;
  list(opts?: ListOptions): AsyncIterable<FileEntry>;
  /** Whole file contents. Callers only read entries that `list` yielded (size already bounded). */
  read(relPath: string, opts?: ReadOptions): Promise<Uint8Array>;
}

/** Path-level filter settings, shared by every FileSource implementation. */
export interface WorkspaceFilterOptions {
  /** Globs (picomatch, matched against relPath); when non-empty a file must match one. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** Files larger than this are skipped without being opened. Default 1 MiB. */
  maxFileSize?: number;
  /** Hard cap on files yielded by one listing (bounded time/memory on huge trees). Default 100,000. */
  maxFiles?: number;
  /** Deeper directories are not entered. Default 64. */
  maxDepth?: number;
  /** Honour .gitignore / .ignore files. Default true. */
  useIgnoreFiles?: boolean;
}

export const DEFAULT_MAX_FILE_SIZE = 1024 * 1024;
export const DEFAULT_MAX_FILES = 100_000;
export const DEFAULT_MAX_DEPTH = 64;
