// FileSource over the local file system (CLI, tests, and any host without a VS Code workspace).
//
// Bounds (documented in ARCHITECTURE.md): the walk is iterative (explicit stack, no recursion), holds
// one directory listing at a time plus the stack of pending folders and a set of visited real folder
// paths; it yields entries as it goes and never reads file contents. It stops after `maxFiles`
// accepted files and never enters folders deeper than `maxDepth`. Cancellation is checked between
// every directory and every batch of stats (at most STAT_BATCH small syscalls).
import * as fsp from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import type { FileEntry, FileSource, ListOptions, ReadOptions, WorkspaceFilterOptions } from './types';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_FILES } from './types';
import { PathFilter } from './filters';
import { SkipReport } from './skip-report';
import { isIgnored, MAX_IGNORE_RULES_TOTAL, parseIgnoreFile, type IgnoreLayer } from './ignore-rules';
import { throwIfAborted } from '../util/abort';

/** The few fs calls the walker makes; injectable so tests can simulate EACCES and races. */
export interface WalkFs {
  readdir(dir: string): Promise<Dirent[]>;
  stat(p: string): Promise<Stats>;
  realpath(p: string): Promise<string>;
  readFile(p: string, signal?: AbortSignal): Promise<Uint8Array>;
}

export const nodeWalkFs: WalkFs = {
  readdir: (dir) => fsp.readdir(dir, { withFileTypes: true }),
  stat: (p) => fsp.stat(p),
  realpath: (p) => fsp.realpath(p),
  readFile: (p, signal) => fsp.readFile(p, signal ? { signal } : {}),
};

export interface NodeFileSourceOptions extends WorkspaceFilterOptions {
  fs?: WalkFs;
}

interface PendingDir {
  abs: string;
  rel: string;
  /** Real path (symlinks resolved), derived without a syscall for ordinary folders. */
  real: string;
  depth: number;
  layers: readonly IgnoreLayer[];
}

const STAT_BATCH = 64;
const IGNORE_FILES = ['.gitignore', '.ignore'];

export class NodeFileSource implements FileSource {
  readonly skipped = new SkipReport();
  readonly rootLabel: string;
  private readonly root: string;
  private readonly filter: PathFilter;
  private readonly fs: WalkFs;
  private readonly maxFiles: number;
  private readonly maxDepth: number;
  private readonly useIgnoreFiles: boolean;
  private rootRealCache: string | null = null;

  constructor(root: string, opts: NodeFileSourceOptions = {}) {
    this.root = path.resolve(root);
    this.rootLabel = path.basename(this.root) || this.root;
    this.filter = new PathFilter(opts);
    this.fs = opts.fs ?? nodeWalkFs;
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.useIgnoreFiles = opts.useIgnoreFiles ?? true;
  }

  private async rootReal(): Promise<string> {
    if (this.rootRealCache === null) this.rootRealCache = await this.fs.realpath(this.root);
    return this.rootRealCache;
  }

  private inside(rootReal: string, real: string): boolean {
    return real === rootReal || real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep);
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<FileEntry, void, undefined> {
    const { signal, onProgress } = opts;
    this.skipped.clear();
    const rootReal = await this.rootReal();
    const visited = new Set<string>([rootReal]);
    const rootLayers: IgnoreLayer[] = [];
    const ruleBudget = { rules: MAX_IGNORE_RULES_TOTAL };
    if (this.useIgnoreFiles) {
      const excl = await this.readSmall(path.join(this.root, '.git', 'info', 'exclude'), '.git/info/exclude');
      const layer = excl === null ? null : parseIgnoreFile('', excl, () => this.skipped.add('ignore-rules-capped', '.git/info/exclude'), ruleBudget);
      if (layer) rootLayers.push(layer);
    }
    const stack: PendingDir[] = [{ abs: this.root, rel: '', real: rootReal, depth: 0, layers: rootLayers }];
    let dirsScanned = 0;
    let filesListed = 0;
    let lastProgress = 0;
    const progress = (force: boolean): void => {
      if (!onProgress) return;
      const now = Date.now();
      if (!force && now - lastProgress < 100) return;
      lastProgress = now;
      onProgress({ dirsScanned, filesListed, skipped: this.skipped.total });
    };

    while (stack.length > 0) {
      throwIfAborted(signal);
      const dir = stack.pop()!;
      let dirents: Dirent[];
      try {
        dirents = await this.fs.readdir(dir.abs);
      } catch {
        this.skipped.add('unreadable', dir.rel === '' ? '.' : `${dir.rel}/`);
        continue;
      }
      throwIfAborted(signal);
      dirsScanned++;
      dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

      let layers = dir.layers;
      if (this.useIgnoreFiles) {
        for (const d of dirents) {
          if (!IGNORE_FILES.includes(d.name) || !d.isFile()) continue;
          const rel = dir.rel === '' ? d.name : `${dir.rel}/${d.name}`;
          const content = await this.readSmall(path.join(dir.abs, d.name), rel);
          const layer = content === null ? null : parseIgnoreFile(dir.rel, content, () => this.skipped.add('ignore-rules-capped', rel), ruleBudget);
          if (layer) layers = [...layers, layer];
        }
      }

      const subdirs: PendingDir[] = [];
      const files: { name: string; rel: string; abs: string; viaLink: boolean }[] = [];
      for (const d of dirents) {
        const rel = dir.rel === '' ? d.name : `${dir.rel}/${d.name}`;
        const abs = path.join(dir.abs, d.name);
        if (d.isSymbolicLink()) {
          // Links are resolved and must stay inside the workspace; a link to a folder we have already
          // entered (a loop, or a second name for the same folder) is skipped, so loops terminate.
          let real: string;
          let st: Stats;
          try {
            real = await this.fs.realpath(abs);
            st = await this.fs.stat(real);
          } catch {
            this.skipped.add('broken-link', rel);
            continue;
          }
          if (!this.inside(rootReal, real)) {
            this.skipped.add('symlink-outside', rel);
            continue;
          }
          if (st.isDirectory()) {
            this.considerDir(d.name, rel, abs, real, dir, layers, visited, subdirs, 'symlink-loop');
          } else if (st.isFile()) {
            files.push({ name: d.name, rel, abs, viaLink: true });
          } else {
            this.skipped.add('not-regular', rel);
          }
        } else if (d.isDirectory()) {
          this.considerDir(d.name, rel, abs, path.join(dir.real, d.name), dir, layers, visited, subdirs, 'symlink-loop');
        } else if (d.isFile()) {
          files.push({ name: d.name, rel, abs, viaLink: false });
        } else {
          // FIFOs, sockets, devices: opening a FIFO would block forever.
          this.skipped.add('not-regular', rel);
        }
      }

      for (let i = 0; i < files.length; i += STAT_BATCH) {
        throwIfAborted(signal);
        const batch = files.slice(i, i + STAT_BATCH).filter((f) => {
          if (this.useIgnoreFiles && isIgnored(layers, f.rel, false)) {
            this.skipped.add('gitignore', f.rel);
            return false;
          }
          return true;
        });
        const stats = await Promise.all(batch.map((f) => this.fs.stat(f.abs).catch(() => null)));
        for (let k = 0; k < batch.length; k++) {
          const f = batch[k]!;
          const st = stats[k];
          if (!st) {
            this.skipped.add('unreadable', f.rel);
            continue;
          }
          if (!st.isFile()) {
            this.skipped.add('not-regular', f.rel);
            continue;
          }
          const verdict = this.filter.fileVerdict(f.name, f.rel, st.size);
          if (verdict) {
            this.skipped.add(verdict, f.rel);
            continue;
          }
          if (filesListed >= this.maxFiles) {
            this.skipped.add('max-files', f.rel);
            progress(true);
            return;
          }
          filesListed++;
          yield { relPath: f.rel, size: st.size, mtimeMs: st.mtimeMs };
        }
        progress(false);
      }
      // Reverse so the stack pops folders in sorted order: the listing order is deterministic.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
      progress(false);
    }
    progress(true);
  }

  private considerDir(
    name: string, rel: string, abs: string, real: string, parent: PendingDir, layers: readonly IgnoreLayer[],
    visited: Set<string>, out: PendingDir[], loopReason: 'symlink-loop',
  ): void {
    const verdict = this.filter.directoryVerdict(name, rel);
    if (verdict) {
      this.skipped.add(verdict, `${rel}/`);
      return;
    }
    if (this.useIgnoreFiles && isIgnored(layers, rel, true)) {
      this.skipped.add('gitignore', `${rel}/`);
      return;
    }
    if (parent.depth + 1 > this.maxDepth) {
      this.skipped.add('max-depth', `${rel}/`);
      return;
    }
    if (visited.has(real)) {
      this.skipped.add(loopReason, `${rel}/`);
      return;
    }
    visited.add(real);
    out.push({ abs, rel, real, depth: parent.depth + 1, layers });
  }

  /** An ignore file's text; null when absent or unreadable. Over 1 MiB it is not read, and that is reported. */
  private async readSmall(p: string, rel: string): Promise<string | null> {
    try {
      const st = await this.fs.stat(p);
      if (!st.isFile()) return null;
      if (st.size > 1024 * 1024) {
        this.skipped.add('ignore-rules-capped', rel);
        return null;
      }
      return new TextDecoder().decode(await this.fs.readFile(p));
    } catch {
      return null;
    }
  }

  async read(relPath: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    throwIfAborted(opts.signal);
    if (relPath === '' || relPath.split('/').some((s) => s === '..' || s === '.' || s === '') || path.isAbsolute(relPath)) {
      throw new Error(`refusing to read '${relPath}': not a workspace-relative path`);
    }
    const abs = path.join(this.root, ...relPath.split('/'));
    // Re-check at read time: the tree may have changed since listing (a file swapped for a link).
    const real = await this.fs.realpath(abs);
    if (!this.inside(await this.rootReal(), real)) throw new Error(`refusing to read '${relPath}': it resolves outside the workspace`);
    const st = await this.fs.stat(real);
    if (!st.isFile()) throw new Error(`cannot read '${relPath}': not a regular file`);
    if (st.size > this.filter.maxFileSize) throw new Error(`cannot read '${relPath}': ${st.size} bytes exceeds the ${this.filter.maxFileSize}-byte limit`);
    return this.fs.readFile(real, opts.signal);
  }
}
