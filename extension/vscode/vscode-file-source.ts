// FileSource over the open VS Code workspace (local or remote file systems alike), via
// workspace.findFiles + workspace.fs. files.exclude / search.exclude are applied through findFiles'
// exclude glob plus an exact post-filter (exclude-rules.ts); every other rule (.gitignore, generated
// folders, lock files, globs, size, depth, file cap) is core's filterHostListing, the walker's rules.
//
// Links: findFiles follows symbolic links (search.followSymlinks defaults to true), so a repository link
// to /etc/passwd or ~/.ssh would be listed. Every listed file's real path is resolved (file: URIs, with
// Node, which the extension host has for local and remote-SSH folders alike) and must lie inside a
// workspace folder's real path; on other file systems, where nothing can resolve a link, a file reached
// through a link is skipped. read() checks again, as the tree may change between listing and reading.
import * as fsp from 'node:fs/promises';
import * as vscode from 'vscode';
import type { FileEntry, FileSource, ListOptions, ReadOptions, WorkspaceFilterOptions } from '../core/workspace/types';
import { DEFAULT_MAX_FILES } from '../core/workspace/types';
import { SkipReport } from '../core/workspace/skip-report';
import { filterHostListing, isInsideRoot, type HostStat } from '../core/workspace/host-listing';
import { throwIfAborted } from '../core/util/abort';
import { enabledGlobs, excludeMatcher, findFilesExcludeGlob } from './exclude-rules';

interface Root {
  folder: vscode.WorkspaceFolder;
  /** '' for a single-folder workspace; the folder name (plus '/') in a multi-root one. */
  prefix: string;
}

function tokenFor(signal: AbortSignal | undefined): vscode.CancellationTokenSource {
  const cts = new vscode.CancellationTokenSource();
  signal?.addEventListener('abort', () => cts.cancel(), { once: true });
  return cts;
}

export class VscodeFileSource implements FileSource {
  readonly skipped = new SkipReport();
  readonly rootLabel: string;
  private readonly roots: Root[];
  private readonly filters: WorkspaceFilterOptions;
  private readonly maxFiles: number;
  private readonly uriByRel = new Map<string, vscode.Uri>();
  private realRootsCache: Promise<string[]> | null = null;

  constructor(folders: readonly vscode.WorkspaceFolder[], opts: WorkspaceFilterOptions = {}) {
    const multi = folders.length > 1;
    this.roots = folders.map((folder) => ({ folder, prefix: multi ? `${folder.name}/` : '' }));
    this.rootLabel = vscode.workspace.name ?? folders[0]?.name ?? 'workspace';
    this.filters = { ...opts };
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  }

  /** Maps a relPath (as shown in chips) back to a URI; undefined for paths outside the workspace. */
  uriOf(relPath: string): vscode.Uri | undefined {
    const known = this.uriByRel.get(relPath);
    if (known) return known;
    const root = this.roots.find((r) => r.prefix === '' || relPath.startsWith(r.prefix));
    return root ? vscode.Uri.joinPath(root.folder.uri, ...relPath.slice(root.prefix.length).split('/')) : undefined;
  }

  /** The relPath of a URI inside the workspace (for the active editor and selection), else undefined. */
  relPathOf(uri: vscode.Uri): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const root = folder && this.roots.find((r) => r.folder.uri.toString() === folder.uri.toString());
    if (!root) return undefined;
    const rel = vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
    return root.prefix + rel;
  }

  async *list(opts: ListOptions = {}): AsyncIterable<FileEntry> {
    this.skipped.clear();
    this.uriByRel.clear();
    this.realRootsCache = null; // folders may have been re-linked since the last listing
    const realRoots = await this.realRoots();
    let listed = 0;
    for (const root of this.roots) {
      throwIfAborted(opts.signal);
      // files.exclude / search.exclude are VS Code's own rules: findFiles applies them (as one glob),
      // and the exact matcher catches what the glob cannot express. Everything else is the walker's
      // rules, applied by core's filterHostListing so the CLI and the extension list the same files.
      const globs = this.excludeGlobsFor(root.folder);
      const isExcluded = excludeMatcher(globs);
      const cts = tokenFor(opts.signal);
      let uris: vscode.Uri[];
      try {
        uris = await vscode.workspace.findFiles(new vscode.RelativePattern(root.folder, '**/*'), findFilesExcludeGlob(globs), this.maxFiles - listed + 1, cts.token);
      } finally {
        cts.dispose();
      }
      throwIfAborted(opts.signal);
      const entries: FileEntry[] = [];
      const uriByLocal = new Map<string, vscode.Uri>();
      for (const uri of uris) {
        const local = this.localPath(root, uri);
        if (local === undefined) continue;
        if (isExcluded(local)) {
          this.skipped.add('excluded', root.prefix + local);
          continue;
        }
        uriByLocal.set(local, uri);
        entries.push({ relPath: local, size: 0, uri: uri.toString() });
      }
      const linkedDirs = new Map<string, Promise<boolean>>();
      const accepted = await filterHostListing(entries, {
        ...this.filters, maxFiles: this.maxFiles - listed, skipped: this.skipped, pathPrefix: root.prefix, signal: opts.signal, realRoots,
        readIgnoreFile: async (local) => {
          // Only a regular file of sane size: a FIFO named .gitignore would block the read forever.
          const uri = vscode.Uri.joinPath(root.folder.uri, ...local.split('/'));
          const st = await vscode.workspace.fs.stat(uri);
          if ((st.type & vscode.FileType.File) === 0 || st.size > 1024 * 1024) return null;
          return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        },
        stat: async (e) => {
          const uri = uriByLocal.get(e.relPath)!;
          const st = await vscode.workspace.fs.stat(uri);
          const out: HostStat = { size: st.size, mtimeMs: st.mtime, isFile: (st.type & vscode.FileType.File) !== 0 };
          if (uri.scheme === 'file') out.realPath = await fsp.realpath(uri.fsPath);
          else out.viaLink = (st.type & vscode.FileType.SymbolicLink) !== 0 || (await this.underLinkedFolder(root, e.relPath, linkedDirs));
          return out;
        },
        onProgress: (n) => opts.onProgress?.({ dirsScanned: 0, filesListed: listed + n, skipped: this.skipped.total }),
      });
      for (const e of accepted) {
        listed++;
        this.uriByRel.set(e.relPath, uriByLocal.get(e.relPath.slice(root.prefix.length))!);
        yield e;
      }
    }
  }

  /** Real paths of the file: workspace folders (links resolved). */
  private realRoots(): Promise<string[]> {
    this.realRootsCache ??= Promise.all(
      this.roots.filter((r) => r.folder.uri.scheme === 'file').map((r) => fsp.realpath(r.folder.uri.fsPath).catch(() => r.folder.uri.fsPath)),
    );
    return this.realRootsCache;
  }

  /** For file systems without real paths: is any folder between the root and this file a link? One stat per folder. */
  private underLinkedFolder(root: Root, local: string, cache: Map<string, Promise<boolean>>): Promise<boolean> {
    const cut = local.lastIndexOf('/');
    if (cut < 0) return Promise.resolve(false);
    const dir = local.slice(0, cut);
    let p = cache.get(dir);
    if (!p) {
      p = (async () => {
        const st = await vscode.workspace.fs.stat(vscode.Uri.joinPath(root.folder.uri, ...dir.split('/')));
        return (st.type & vscode.FileType.SymbolicLink) !== 0 || (await this.underLinkedFolder(root, dir, cache));
      })();
      cache.set(dir, p);
    }
    return p;
  }

  /** Root-relative '/'-separated path of a URI findFiles returned for `root`. */
  private localPath(root: Root, uri: vscode.Uri): string | undefined {
    const base = root.folder.uri.path.replace(/\/+$/, '');
    if (uri.path.startsWith(`${base}/`)) return uri.path.slice(base.length + 1);
    const rel = vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
    return rel.startsWith(root.prefix) ? rel.slice(root.prefix.length) : rel;
  }

  async read(relPath: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    throwIfAborted(opts.signal);
    if (relPath === '' || relPath.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(`refusing to read '${relPath}': not a workspace-relative path`);
    }
    const uri = this.uriOf(relPath);
    if (!uri) throw new Error(`'${relPath}' is not in this workspace`);
    if (uri.scheme === 'file') {
      const real = await fsp.realpath(uri.fsPath);
      if (!(await this.realRoots()).some((r) => isInsideRoot(r, real))) throw new Error(`refusing to read '${relPath}': it resolves outside the workspace`);
    } else if ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.SymbolicLink) {
      throw new Error(`refusing to read '${relPath}': it is a link this file system cannot resolve`);
    }
    // Unsaved editor contents are what the user sees; prefer them over the disk copy.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) return new TextEncoder().encode(doc.getText());
    const bytes = await vscode.workspace.fs.readFile(uri);
    throwIfAborted(opts.signal);
    return bytes;
  }

  private excludeGlobsFor(folder: vscode.WorkspaceFolder): string[] {
    const files = vscode.workspace.getConfiguration('files', folder.uri).get<unknown>('exclude');
    const search = vscode.workspace.getConfiguration('search', folder.uri).get<unknown>('exclude');
    return [...enabledGlobs(files), ...enabledGlobs(search)];
  }
}
