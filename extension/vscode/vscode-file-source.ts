// FileSource over the open VS Code workspace (local or remote file systems alike), via
// workspace.findFiles + workspace.fs. findFiles does not know .gitignore nor search.exclude, so both
// are applied here (see exclude-rules.ts); the shared PathFilter adds lock files, size and globs.
import * as vscode from 'vscode';
import type { FileEntry, FileSource, ListOptions, ReadOptions, WorkspaceFilterOptions } from '../core/workspace/types';
import { DEFAULT_MAX_FILES } from '../core/workspace/types';
import { PathFilter } from '../core/workspace/filters';
import { SkipReport } from '../core/workspace/skip-report';
import { parseIgnoreFile, type IgnoreLayer } from '../core/workspace/ignore-rules';
import { throwIfAborted } from '../core/util/abort';
import { enabledGlobs, excludeMatcher, findFilesExcludeGlob, ignoreBase, ignoredByLayers } from './exclude-rules';

const STAT_CONCURRENCY = 32;

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
  private readonly filter: PathFilter;
  private readonly maxFiles: number;
  private readonly useIgnoreFiles: boolean;
  private readonly uriByRel = new Map<string, vscode.Uri>();

  constructor(folders: readonly vscode.WorkspaceFolder[], opts: WorkspaceFilterOptions = {}) {
    const multi = folders.length > 1;
    this.roots = folders.map((folder) => ({ folder, prefix: multi ? `${folder.name}/` : '' }));
    this.rootLabel = vscode.workspace.name ?? folders[0]?.name ?? 'workspace';
    this.filter = new PathFilter(opts);
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    this.useIgnoreFiles = opts.useIgnoreFiles ?? true;
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
      const globs = this.excludeGlobsFor(root.folder);
      const isExcluded = excludeMatcher(globs);
      const excludeGlob = findFilesExcludeGlob(globs);
      const layers = this.useIgnoreFiles ? await this.ignoreLayers(root, excludeGlob, opts.signal) : new Map<string, IgnoreLayer>();
      const cts = tokenFor(opts.signal);
      let uris: vscode.Uri[];
      try {
        uris = await vscode.workspace.findFiles(new vscode.RelativePattern(root.folder, '**/*'), excludeGlob, this.maxFiles - listed + 1, cts.token);
      } finally {
        cts.dispose();
      }
      throwIfAborted(opts.signal);
      const candidates: { uri: vscode.Uri; rel: string }[] = [];
      for (const uri of uris) {
        const rel = root.prefix + vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
        const local = rel.slice(root.prefix.length);
        if (PathFilter.underGeneratedDir(local)) this.skipped.add('generated-folder', rel);
        else if (isExcluded(local)) this.skipped.add('excluded', rel);
        else if (ignoredByLayers(layers, local)) this.skipped.add('gitignore', rel);
        else candidates.push({ uri, rel });
      }
      candidates.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
      // Stat in small parallel batches: sizes decide the size filter without opening files.
      for (let i = 0; i < candidates.length; i += STAT_CONCURRENCY) {
        throwIfAborted(opts.signal);
        const batch = candidates.slice(i, i + STAT_CONCURRENCY);
        const stats = await Promise.all(batch.map((c) => Promise.resolve(vscode.workspace.fs.stat(c.uri)).then((s) => s, () => undefined)));
        for (let j = 0; j < batch.length; j++) {
          const c = batch[j]!;
          const st = stats[j];
          if (!st) {
            this.skipped.add('unreadable', c.rel);
            continue;
          }
          if ((st.type & vscode.FileType.File) === 0) {
            this.skipped.add('not-regular', c.rel);
            continue;
          }
          const name = c.rel.slice(c.rel.lastIndexOf('/') + 1);
          const verdict = this.filter.fileVerdict(name, c.rel, st.size);
          if (verdict) {
            this.skipped.add(verdict, c.rel);
            continue;
          }
          if (listed >= this.maxFiles) {
            this.skipped.add('max-files', c.rel);
            continue;
          }
          listed++;
          this.uriByRel.set(c.rel, c.uri);
          yield { relPath: c.rel, size: st.size, mtimeMs: st.mtime, uri: c.uri.toString() };
        }
        opts.onProgress?.({ dirsScanned: 0, filesListed: listed, skipped: this.skipped.total });
      }
    }
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

  private async ignoreLayers(root: Root, excludeGlob: string, signal: AbortSignal | undefined): Promise<Map<string, IgnoreLayer>> {
    const cts = tokenFor(signal);
    const layers = new Map<string, IgnoreLayer>();
    try {
      const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(root.folder, '**/{.gitignore,.ignore}'), excludeGlob, 10_000, cts.token);
      for (const uri of uris) {
        throwIfAborted(signal);
        const rel = vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
        try {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
          const base = ignoreBase(rel);
          const layer = parseIgnoreFile(base, text);
          if (!layer) continue;
          // .gitignore and .ignore in one folder both apply: merge into one layer.
          const prev = layers.get(base);
          if (prev) prev.rules.add(text);
          else layers.set(base, layer);
        } catch {
          // An unreadable ignore file ignores nothing, like git.
        }
      }
    } finally {
      cts.dispose();
    }
    return layers;
  }
}
