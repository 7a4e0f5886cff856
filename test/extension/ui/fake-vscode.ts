// The slice of the `vscode` API that VscodeFileSource uses, backed by the real file system, so the
// extension's workspace listing can be compared with the CLI's walker in node. Installed by
// hooking Node's module loader for the request 'vscode' (the real module exists only in VS Code).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';
import picomatch from 'picomatch';

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): Uri {
    return new Uri('file', p.replace(/\\/g, '/'));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.posix.join(base.path, ...parts));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export interface WorkspaceFolder {
  uri: Uri;
  name: string;
  index: number;
}

export class RelativePattern {
  constructor(readonly base: WorkspaceFolder, readonly pattern: string) {}
}

export class CancellationTokenSource {
  readonly token = { isCancellationRequested: false };
  cancel(): void {
    this.token.isCancellationRequested = true;
  }
  dispose(): void {}
}

export const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

export interface FakeWorkspaceState {
  folders: WorkspaceFolder[];
  /** `files.exclude` / `search.exclude` settings. */
  config: Record<string, Record<string, unknown>>;
  findFilesCalls: { pattern: string; exclude: string; max: number }[];
  /** search.followSymlinks (VS Code's default: true). */
  followSymlinks?: boolean;
}

export function createFakeVscode(state: FakeWorkspaceState) {
  const folderOf = (uri: Uri): WorkspaceFolder | undefined =>
    state.folders.find((f) => uri.path === f.uri.path || uri.path.startsWith(`${f.uri.path}/`));
  // Like ripgrep behind findFiles: every file under the folder, the exclude glob applied to
  // folder-relative paths (a matching folder is not entered), results in no particular order. Links are
  // followed, as with VS Code's default search.followSymlinks: true (a link to a folder above is not
  // entered, as ripgrep detects loops); dangling links and unreadable folders are left out.
  const walk = (root: string, rel: string, exclude: (p: string) => boolean, out: Uri[], max: number, above: ReadonlySet<string> = new Set()): void => {
    let dirents: fs.Dirent[];
    let seen: Set<string>;
    try {
      seen = new Set([...above, fs.realpathSync(path.join(root, rel))]);
      dirents = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of dirents) {
      if (out.length >= max) return;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (exclude(r)) continue;
      let isDir = d.isDirectory();
      if (d.isSymbolicLink() && state.followSymlinks !== false) {
        try {
          const real = fs.realpathSync(path.join(root, r));
          isDir = fs.statSync(real).isDirectory();
          if (isDir && seen.has(real)) continue;
        } catch {
          continue;
        }
      } else if (d.isSymbolicLink()) {
        continue;
      }
      if (isDir) walk(root, r, exclude, out, max, seen);
      else out.push(Uri.file(path.join(root, r)));
    }
  };
  return {
    Uri, RelativePattern, CancellationTokenSource, FileType,
    workspace: {
      get name(): string | undefined {
        return state.folders.length > 1 ? 'multi (Workspace)' : state.folders[0]?.name;
      },
      textDocuments: [] as { uri: Uri; isDirty: boolean; getText(): string }[],
      getWorkspaceFolder: folderOf,
      asRelativePath(uri: Uri, includeFolder: boolean): string {
        const f = folderOf(uri);
        if (!f) return uri.path;
        const rel = uri.path.slice(f.uri.path.length + 1);
        return includeFolder && state.folders.length > 1 ? `${f.name}/${rel}` : rel;
      },
      getConfiguration(section: string) {
        return { get: <T>(key: string): T | undefined => state.config[`${section}.${key}`] as T | undefined };
      },
      async findFiles(p: RelativePattern, exclude: string, max: number, token?: { isCancellationRequested: boolean }): Promise<Uri[]> {
        state.findFilesCalls.push({ pattern: p.pattern, exclude, max });
        const include = picomatch(p.pattern, { dot: true });
        const ex = picomatch(exclude, { dot: true });
        const all: Uri[] = [];
        walk(p.base.uri.path, '', ex, all, Number.MAX_SAFE_INTEGER);
        if (token?.isCancellationRequested) return [];
        return all.filter((u) => include(u.path.slice(p.base.uri.path.length + 1))).reverse().slice(0, max);
      },
      fs: {
        // Like VS Code's disk provider: follows the link and marks it with the SymbolicLink bit.
        async stat(uri: Uri) {
          const st = fs.statSync(uri.path);
          const link = fs.lstatSync(uri.path).isSymbolicLink() ? FileType.SymbolicLink : 0;
          return { type: (st.isFile() ? FileType.File : st.isDirectory() ? FileType.Directory : FileType.Unknown) | link, size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs };
        },
        async readFile(uri: Uri): Promise<Uint8Array> {
          return new Uint8Array(fs.readFileSync(uri.path));
        },
      },
    },
  };
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Makes `require('vscode')` return `api` until the returned function is called. */
export function installFakeVscode(api: unknown): () => void {
  const M = Module as unknown as { _load: Loader };
  const original = M._load;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    return request === 'vscode' ? api : original.call(this, request, parent, isMain);
  } as Loader;
  return () => {
    M._load = original;
  };
}
