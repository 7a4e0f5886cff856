// Name-based filters every FileSource applies before a file is ever opened.
import { compileGlobs } from './glob';
import type { WorkspaceFilterOptions } from './types';
import { DEFAULT_MAX_FILE_SIZE } from './types';
import type { SkipReason } from './skip-report';

/** Machine-written dependency pins: long, low-signal, and they would crowd out real code. */
export const LOCK_FILES: ReadonlySet<string> = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock',
  'Cargo.lock', 'poetry.lock', 'Pipfile.lock', 'pdm.lock', 'uv.lock', 'composer.lock', 'Gemfile.lock',
  'go.sum', 'mix.lock', 'pubspec.lock', 'Podfile.lock', 'packages.lock.json', 'flake.lock', 'gradle.lockfile',
  'deno.lock', 'conan.lock', 'paket.lock', 'shrinkwrap.yaml',
]);

/** Generated, vendored or tool-state folders: skipped by name at any depth (never entered). */
export const GENERATED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'vendor', 'target', '__pycache__', '.venv',
  'venv', '.tox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'coverage', '.nyc_output', '.next', '.nuxt',
  '.svelte-kit', '.turbo', '.parcel-cache', '.cache', '.gradle', '.idea', 'bower_components', '.terraform',
  '.vscode-test', '.eggs', 'Pods', 'DerivedData', '.dart_tool', '.angular', 'storybook-static', '.yarn',
]);

/** Minified bundles and maps are generated too, and enormous per line. */
const GENERATED_FILE = /\.(min\.(js|css)|map)$/i;

export class PathFilter {
  readonly maxFileSize: number;
  private readonly include: ((p: string) => boolean) | null;
  private readonly exclude: ((p: string) => boolean) | null;

  constructor(opts: WorkspaceFilterOptions = {}) {
    this.maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    // Compiled once per listing; `*` matches dot files too (users write `**/*.ts` and expect
    // `.github/x.ts` to match, like VS Code's globs). Linear-time matching: see glob.ts.
    this.include = opts.include && opts.include.length > 0 ? compileGlobs(opts.include, 'include') : null;
    this.exclude = opts.exclude && opts.exclude.length > 0 ? compileGlobs(opts.exclude, 'exclude') : null;
  }

  /** For a directory about to be entered; `relPath` without trailing slash. */
  directoryVerdict(name: string, relPath: string): SkipReason | null {
    if (GENERATED_DIRS.has(name)) return 'generated-folder';
    // An exclude like `docs/**` or `docs` removes the whole subtree; test both spellings.
    if (this.exclude && this.exclude(relPath)) return 'excluded';
    return null;
  }

  /** For a regular file whose size is known (from stat, not from reading it). */
  fileVerdict(name: string, relPath: string, size: number): SkipReason | null {
    if (LOCK_FILES.has(name)) return 'lock-file';
    if (GENERATED_FILE.test(name)) return 'generated-folder';
    if (this.exclude && this.exclude(relPath)) return 'excluded';
    if (this.include && !this.include(relPath)) return 'not-included';
    if (size > this.maxFileSize) return 'too-large';
    return null;
  }
}
