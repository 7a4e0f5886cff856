// FileSource over the open VS Code workspace (local or remote file systems alike), via
// workspace.findFiles + workspace.fs. files.exclude / search.exclude are applied through findFiles'
// exclude glob plus an exact post-filter (exclude-rules.ts); every other rule (.gitignore, generated
// folders, lock files, globs, size, depth, file cap) is core's filterHostListing, the walker's rules.
import * as vscode from 'vscode';
import type { FileEntry, FileSource, ListOptions, ReadOptions, WorkspaceFilterOptions } from '../core/workspace/types';
import { DEFAULT_MAX_FILES } from '../core/workspace/types';
import { SkipReport } from '../core/workspace/skip-report';
import { filterHostListing } from '../core/workspace/host-listing';
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
      const accepted = await filterHostListing(entries, {
        ...this.filters, maxFiles: this.maxFiles - listed, skipped: this.skipped, pathPrefix: root.prefix, signal: opts.signal,
        readIgnoreFile: async (local) => new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root.folder.uri, ...local.split('/')))),
        stat: async (e) => {
          const st = await vscode.workspace.fs.stat(uriByLocal.get(e.relPath)!);
          return { size: st.size, mtimeMs: st.mtime, isFile: (st.type & vscode.FileType.File) !== 0 };
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

  /** Root-relative '/'-separated path of a URI findFiles returned for `root`. */
  private localPath(root: Root, uri: vscode.Uri): string | undefined {
    const base = root.folder.uri.path.replace(/\/+$/, '');
    if (uri.path.startsWith(`${base}/`)) return uri.path.slice(base.length + 1);
    const rel = vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
    return rel.startsWith(root.prefix) ? rel.slice(root.prefix.length) : rel;
  }

  async read(relPath: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    throwIfAborted(opts.signal);
    const uri = this.uriOf(relPath);
    if (!uri) throw new Error(`'${relPath}' is not in this workspace`);
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
