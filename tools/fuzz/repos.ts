// Repository fuzzer (issue 13): generated trees with hostile names, sizes, links, encodings, FIFOs,
// permissions, depth, .gitignore and glob content, listed through both the CLI walker (NodeFileSource)
// and the VS Code file source (VscodeFileSource over a fake of the vscode API whose findFiles follows
// links, like VS Code's default). Per case and per source:
//  - escape: a listed file resolves outside the root, or reading it returns the secret kept outside;
//  - crash: an exception other than a clear refusal (GlobLimitError), or an entry neither listed nor
//    reported as skipped (every skip must be reported);
//  - hang: the listing takes longer than caseTimeoutMs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { NodeFileSource, type FileSource, type WorkspaceFilterOptions } from '../../extension/core/workspace';
import { GlobLimitError } from '../../extension/core/workspace/glob';
import { createFakeVscode, installFakeVscode, Uri, type FakeWorkspaceState } from '../../test/extension/ui/fake-vscode';
import type { FuzzFailure, FuzzSummary, FuzzTarget } from './types';
import { Rng } from './rng';

const SECRET = 'FUZZ-SECRET-OUTSIDE-THE-WORKSPACE';

const NAMES = [
  'a', 'src', 'main.ts', 'README.md', '.hidden', '.gitignore', '.ignore', 'node_modules', '.git', 'dist', 'yarn.lock', 'x.min.js', 'app.map',
  'with space.ts', '-rf', 'new\nline.ts', '\u001b[31mred.ts', 'bidi\u202egnp.ts', 'é.py', '😀.md', 'tab\there', 'quote".ts', 'back\\slash.ts',
  '*.ts', '[a].ts', '{a,b}.ts', '!neg', '#hash', 'a'.repeat(255), 'CON', 'a..b', '..a', 'pkg.json',
];
const RULES = ['*.log', 'build/', '/tmp', '!keep.log', '**/gen/**', 'secret*', '*', '!*.ts', 'a/**/b', '\\#x', ' ', '**/a/**/a/**/a/**/a/**/b', '*a*a*a*a*a*a*b', 'x'.repeat(300), '[', '\\', '!'];
const GLOBS = ['**/*.ts', 'src/**', '*.md', '**/*.{ts,js}', '[a-z]*', '!**/*.log', '**', '*a*a*a*a*a*a*a*b', '**/a/**/a/**/a/**/a/**/b', '{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}', 'x'.repeat(1100), '[', '\\', 'a/../b'];

/** A relPath-safe segment or a raw byte name (invalid UTF-8 names are decoded lossily by readdir). */
function randomName(rng: Rng): string | Buffer {
  if (rng.int(20) === 0) return Buffer.from([0x61, 0xff, 0xfe, 0x2e, 0x74, 0x73]); // "a\xff\xfe.ts"
  const n = rng.pick(NAMES);
  return rng.int(4) === 0 ? `${n}${rng.int(100)}` : n;
}

function join(dir: Buffer, name: string | Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), typeof name === 'string' ? Buffer.from(name) : name]);
}

interface Built {
  root: string;
  outside: string;
  /** Folders whose permissions were taken away, restored before cleanup. */
  locked: Buffer[];
}

function exists(p: Buffer): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function build(rng: Rng, caseNo: number): Built {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `se-fuzz-repo-${caseNo}-`));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), `se-fuzz-out-${caseNo}-`));
  fs.writeFileSync(path.join(outside, 'secret.ts'), `${SECRET}\n`);
  fs.mkdirSync(path.join(outside, 'dir'));
  fs.writeFileSync(path.join(outside, 'dir', 'id_rsa'), `${SECRET}\n`);
  const dirs: Buffer[] = [Buffer.from(root)];
  const locked: Buffer[] = [];
  // 'wx': never write through an existing name (a FIFO would block the write forever, a link would write outside).
  const wx = { flag: 'wx' } as const;
  const entries = 1 + rng.int(30);
  for (let i = 0; i < entries; i++) {
    const parent = rng.pick(dirs);
    const p = join(parent, randomName(rng));
    try {
      if (exists(p)) continue;
      const kind = rng.int(100);
      if (kind < 25) {
        fs.mkdirSync(p);
        dirs.push(p);
      } else if (kind < 55) {
        const size = rng.pick([0, 1, 100, 5000]);
        fs.writeFileSync(p, rng.int(5) === 0 ? Buffer.from([0, 1, 2, 0xff]) : rng.int(5) === 0 ? Buffer.from([0xc3, 0x28, 0x61]) : 'x'.repeat(size), wx);
      } else if (kind < 60) {
        fs.writeFileSync(p, '', wx);
        fs.truncateSync(p, 2 * 1024 * 1024 + rng.int(1000)); // sparse: over maxFileSize, never opened
      } else if (kind < 68) {
        const rules = Array.from({ length: rng.int(8) }, () => rng.pick(RULES));
        if (rng.int(10) === 0) for (let k = 0; k < 1500; k++) rules.push(`r${k}/**/*.x`);
        fs.writeFileSync(join(parent, rng.pick(['.gitignore', '.ignore'])), rules.join('\n'), wx);
      } else if (kind < 88) {
        // Outside targets stay small (the fake findFiles follows links like VS Code; a link to '/' would
        // make it walk the whole machine), absolute and relative, plus loops, in-root and dangling links.
        const rel = path.relative(parent.toString(), outside);
        const target = rng.pick([
          path.join(outside, 'secret.ts'), path.join(outside, 'dir'), outside, `${rel}/secret.ts`, `${rel}/dir`, rel, root, '.', 'missing-target',
          path.join(root, 'src'), path.join(root, 'main.ts'), path.join(outside, 'nope'),
        ]);
        fs.symlinkSync(target, p);
      } else if (kind < 90) {
        spawnSync('mkfifo', [p.toString()]);
      } else if (kind < 95) {
        let d = p;
        for (let k = 0, depth = 60 + rng.int(15); k < depth; k++) d = join(d, 'd');
        fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(join(d, 'deep.ts'), 'x', wx);
      } else {
        fs.mkdirSync(p);
        fs.writeFileSync(join(p, 'locked.ts'), 'x', wx);
        fs.chmodSync(p, rng.pick([0o000, 0o111, 0o222]));
        locked.push(p);
      }
    } catch {
      // a name the file system refuses (too long with its parent, a clash): not part of the case
    }
  }
  return { root, outside, locked };
}

function options(rng: Rng): WorkspaceFilterOptions {
  const o: WorkspaceFilterOptions = { maxFileSize: rng.pick([1024, 4096, 1024 * 1024]) };
  if (rng.int(3) === 0) o.include = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(GLOBS));
  if (rng.int(3) === 0) o.exclude = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(GLOBS));
  if (rng.int(10) === 0) o.exclude = Array.from({ length: 300 }, (_, k) => `p${k}`);
  if (rng.int(5) === 0) o.maxFiles = 1 + rng.int(5);
  if (rng.int(5) === 0) o.maxDepth = rng.int(4);
  if (rng.int(8) === 0) o.useIgnoreFiles = false;
  return o;
}

/** Every non-folder entry below `root`, not following links ('/'-joined, as readdir decodes names). */
function rawEntries(root: string, rel = '', out: string[] = []): string[] {
  let ds: fs.Dirent[];
  try {
    ds = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of ds) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) rawEntries(root, r, out);
    else if (d.isSymbolicLink()) {
      let isDir = false;
      try {
        isDir = fs.statSync(path.join(root, r)).isDirectory();
      } catch { /* dangling */ }
      if (!isDir) out.push(r); // links to folders are entered or reported as folders; not checked per entry
    } else out.push(r);
  }
  return out;
}

function insideReal(rootReal: string, p: string): boolean {
  try {
    const real = fs.realpathSync(p);
    return real === rootReal || real.startsWith(`${rootReal}/`);
  } catch {
    return true; // vanished or unreadable: read() will refuse it; nothing escaped by listing it
  }
}

type Outcome = { kind: 'ok'; detail?: undefined } | { kind: 'rejected'; detail?: undefined } | { kind: FuzzFailure['kind']; detail: string };

async function check(make: () => FileSource, root: string, seen: () => readonly string[], timeoutMs: number, label: string): Promise<Outcome> {
  let source: FileSource;
  try {
    source = make(); // bad globs are refused here, with a clear GlobLimitError
  } catch (e) {
    if (e instanceof GlobLimitError) return { kind: 'rejected' };
    return { kind: 'crash', detail: `${label}: ${String(e)}`.slice(0, 300) };
  }
  const rootReal = fs.realpathSync(root);
  const skips: string[] = [];
  let capped = false;
  const add = source.skipped.add.bind(source.skipped);
  source.skipped.add = (reason, p) => {
    skips.push(p);
    if (reason === 'max-files') capped = true;
    add(reason, p);
  };
  const listed: string[] = [];
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => (ac.abort(), r('timeout')), timeoutMs)));
  try {
    const listing = (async () => {
      for await (const e of source.list({ signal: ac.signal })) listed.push(e.relPath);
      return 'done' as const;
    })();
    const r = await Promise.race([listing, timedOut]);
    if (r === 'timeout') {
      await listing.catch(() => undefined);
      return { kind: 'hang', detail: `${label}: listing took over ${timeoutMs} ms` };
    }
  } catch (e) {
    if (e instanceof GlobLimitError) return { kind: 'rejected' };
    return { kind: 'crash', detail: `${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300) };
  } finally {
    clearTimeout(timer);
  }
  for (const rel of listed) {
    if (!insideReal(rootReal, path.join(root, rel))) return { kind: 'escape', detail: `${label}: listed ${JSON.stringify(rel)}, which resolves outside the root` };
    try {
      const bytes = await source.read(rel);
      if (Buffer.from(bytes).includes(SECRET)) return { kind: 'escape', detail: `${label}: reading ${JSON.stringify(rel)} returned the secret from outside` };
    } catch {
      // refused or unreadable: nothing escaped
    }
  }
  // At the file cap the listing stops (and says so with one 'max-files' entry): the rest is not visited.
  if (capped) return { kind: 'ok' };
  const listedSet = new Set(listed);
  const folderSkips = skips.filter((p) => p.endsWith('/') || p === '.');
  for (const e of seen()) {
    if (listedSet.has(e) || skips.includes(e)) continue;
    if (folderSkips.some((f) => f === '.' || e.startsWith(f))) continue;
    return { kind: 'crash', detail: `${label}: ${JSON.stringify(e)} was neither listed nor reported as skipped` };
  }
  return { kind: 'ok' };
}

export const fuzzRepos: FuzzTarget = async (opts) => {
  const state: FakeWorkspaceState = { folders: [], config: {}, findFilesCalls: [] };
  const api = createFakeVscode(state);
  const uninstall = installFakeVscode(api);
  let found: string[] = [];
  const findFiles = api.workspace.findFiles.bind(api.workspace);
  api.workspace.findFiles = async (...a: Parameters<typeof findFiles>) => {
    const uris = await findFiles(...a);
    found = uris.map((u) => u.path.slice(a[0].base.uri.path.length + 1));
    return uris;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { VscodeFileSource } = require('../../extension/vscode/vscode-file-source') as typeof import('../../extension/vscode/vscode-file-source');
  const rng = new Rng(opts.seed);
  const failures: FuzzFailure[] = [];
  const s: FuzzSummary = { target: 'repos', cases: opts.cases, seed: opts.seed, crashes: 0, hangs: 0, escapes: 0, rejected: 0, accepted: 0, ms: 0, failures };
  const t0 = performance.now();
  try {
    for (let i = 0; i < opts.cases; i++) {
      const { root, outside, locked } = build(rng, i);
      const o = options(rng);
      try {
        const walker = await check(() => new NodeFileSource(root, o), root, () => rawEntries(root), opts.caseTimeoutMs, 'walker');
        state.folders = [{ uri: Uri.file(root), name: path.basename(root), index: 0 }];
        found = [];
        const host = await check(() => new VscodeFileSource(state.folders as never, o), root, () => found, opts.caseTimeoutMs, 'vscode');
        const bad = [walker, host].find((r) => r.kind === 'crash' || r.kind === 'hang' || r.kind === 'escape');
        if (bad && bad.detail !== undefined) {
          const kind = bad.kind as FuzzFailure['kind'];
          s[kind === 'crash' ? 'crashes' : kind === 'hang' ? 'hangs' : 'escapes']++;
          if (failures.length < 50) failures.push({ case: i, kind, detail: bad.detail });
        } else if (walker.kind === 'rejected' || host.kind === 'rejected') s.rejected++;
        else s.accepted++;
      } finally {
        for (const d of locked) fs.chmodSync(d, 0o755);
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(outside, { recursive: true, force: true });
      }
      if ((i + 1) % 50 === 0) opts.onProgress?.(i + 1);
    }
  } finally {
    uninstall();
  }
  opts.onProgress?.(opts.cases);
  s.ms = Math.round(performance.now() - t0);
  return s;
};
