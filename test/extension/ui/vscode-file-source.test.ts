// VscodeFileSource against a fake of the vscode API backed by the real file system: the extension
// lists exactly what the CLI's walker lists (same rules via core's filterHostListing), plus VS Code's
// own files.exclude / search.exclude, with folder prefixes in multi-root workspaces.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource } from '../../../extension/core/workspace';
import type { FileSource } from '../../../extension/core/workspace/types';
import { createFakeVscode, installFakeVscode, Uri, type FakeWorkspaceState, type WorkspaceFolder } from './fake-vscode';

type VscodeFileSourceCtor = new (folders: readonly WorkspaceFolder[], opts?: ConstructorParameters<typeof NodeFileSource>[1]) => FileSource & { uriOf(p: string): { path: string } | undefined };

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

async function paths(source: FileSource): Promise<string[]> {
  const out: string[] = [];
  for await (const e of source.list()) out.push(e.relPath);
  return out;
}

describe('extension/vscode VscodeFileSource (fake vscode API over the real file system)', () => {
  let root = '';
  let uninstall = (): void => undefined;
  let VscodeFileSource: VscodeFileSourceCtor;
  const state: FakeWorkspaceState = { folders: [], config: {}, findFilesCalls: [] };

  before(() => {
    uninstall = installFakeVscode(createFakeVscode(state));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    VscodeFileSource = (require('../../../extension/vscode/vscode-file-source') as { VscodeFileSource: VscodeFileSourceCtor }).VscodeFileSource;
  });
  after(() => uninstall());
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-vsfs-'));
    state.folders = [];
    state.config = {};
    state.findFilesCalls = [];
    write(root, 'app/.gitignore', 'logs/\n*.tmp\n');
    write(root, 'app/logs/a.txt', 'x');
    write(root, 'app/x.tmp', 'x');
    write(root, 'app/src/main.ts', 'export const main = 1;\n');
    write(root, 'app/src/.gitignore', 'gen/\n!keep.tmp\n');
    write(root, 'app/src/gen/out.ts', 'x');
    write(root, 'app/src/keep.tmp', 'x');
    write(root, 'app/src/big.ts', 'y'.repeat(5000));
    write(root, 'app/src/app.min.js', 'x');
    write(root, 'app/node_modules/p/i.js', 'x');
    write(root, 'app/pkg/dist/b.js', 'x');
    write(root, 'app/yarn.lock', 'x');
    write(root, 'app/docs/a.md', 'x');
    write(root, 'app/docs/sub/b.md', 'x');
    write(root, 'app/secret/key.ts', 'x');
    write(root, 'app/.git/info/exclude', 'local-only.ts\n');
    write(root, 'app/local-only.ts', 'x');
    write(root, 'lib/index.ts', 'export {};\n');
    write(root, 'lib/build/x.js', 'x');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const folder = (name: string, index = 0): WorkspaceFolder => ({ uri: Uri.file(path.join(root, name)), name, index });

  it('lists exactly what the Node walker lists, with the same skip reasons', async () => {
    state.folders = [folder('app')];
    const filters = { exclude: ['docs/sub/**'], maxFileSize: 4096 };
    const host = new VscodeFileSource(state.folders, filters);
    const node = new NodeFileSource(path.join(root, 'app'), filters);
    const listed = await paths(host);
    assert.deepEqual(listed, [...listed].sort(), 'sorted, whatever order findFiles returned');
    assert.deepEqual(listed, (await paths(node)).sort());
    assert.ok(listed.includes('src/main.ts') && listed.includes('src/keep.tmp') && !listed.includes('local-only.ts'));
    for (const reason of ['lock-file', 'too-large', 'excluded', 'gitignore'] as const) assert.equal(host.skipped.countOf(reason), node.skipped.countOf(reason), reason);
    assert.ok(state.findFilesCalls[0]!.exclude.includes('**/node_modules/**'), 'generated folders are excluded inside findFiles already');
  });

  it('applies files.exclude and search.exclude on top, and reads through workspace.fs', async () => {
    state.folders = [folder('app')];
    state.config = { 'files.exclude': { '**/secret': true, '**/*.{md,txt}': true }, 'search.exclude': { 'src/keep.tmp': true, 'docs': false } };
    const host = new VscodeFileSource(state.folders, {});
    const listed = await paths(host);
    assert.ok(!listed.includes('secret/key.ts') && !listed.includes('docs/a.md') && !listed.includes('src/keep.tmp'), listed.join(','));
    assert.ok(listed.includes('src/main.ts'));
    assert.ok(host.skipped.countOf('excluded') >= 1, 'brace globs left to the exact post-filter are reported');
    assert.equal(new TextDecoder().decode(await host.read('src/main.ts')), 'export const main = 1;\n');
  });

  it('multi-root: paths carry the folder name, rules apply per folder, uriOf maps back', async () => {
    state.folders = [folder('app', 0), folder('lib', 1)];
    const host = new VscodeFileSource(state.folders, { maxFileSize: 4096 });
    const listed = await paths(host);
    assert.ok(listed.includes('app/src/main.ts') && listed.includes('lib/index.ts'));
    assert.ok(!listed.some((p) => p.startsWith('lib/build/')), 'generated folders skipped inside each folder');
    assert.equal(host.uriOf('lib/index.ts')?.path, path.join(root, 'lib', 'index.ts').replace(/\\/g, '/'));
    assert.equal(new TextDecoder().decode(await host.read('lib/index.ts')), 'export {};\n');
    const ex = host.skipped.summary().byReason['gitignore']?.examples ?? [];
    assert.ok(ex.length > 0 && ex.every((p) => p.startsWith('app/')), ex.join(','));
  });

  it('never lists or reads a file outside the workspace through a link (issue 13 finding 1)', async () => {
    // VS Code's findFiles follows links (search.followSymlinks: true); the fake does the same.
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'se-vsfs-outside-'));
    try {
      write(outside, 'passwd', 'root:x:0:0\n');
      write(outside, '.ssh/id_rsa', 'PRIVATE KEY\n');
      fs.symlinkSync(path.join(outside, 'passwd'), path.join(root, 'app/passwd'));
      fs.symlinkSync(path.join(outside, '.ssh'), path.join(root, 'app/ssh'));
      fs.symlinkSync(outside, path.join(root, 'app/src/up'));
      fs.symlinkSync(path.join(root, 'app/src/main.ts'), path.join(root, 'app/alias.ts')); // inside: fine
      fs.symlinkSync(path.join(root, 'lib/index.ts'), path.join(root, 'app/other-folder.ts')); // another workspace folder
      state.folders = [folder('app')];
      const host = new VscodeFileSource(state.folders, { maxFileSize: 4096 });
      const listed = await paths(host);
      const appReal = fs.realpathSync(path.join(root, 'app'));
      for (const p of listed) assert.ok(fs.realpathSync(path.join(root, 'app', p)).startsWith(`${appReal}/`), `${p} resolves outside the workspace`);
      assert.ok(listed.includes('alias.ts') && listed.includes('src/main.ts'), listed.join(','));
      assert.ok(!listed.some((p) => /passwd|ssh\/|up\/|other-folder/.test(p)), listed.join(','));
      assert.equal(host.skipped.countOf('symlink-outside'), 5, JSON.stringify(host.skipped.summary().byReason));
      await assert.rejects(host.read('passwd'), /resolves outside the workspace/);
      await assert.rejects(host.read('../lib/index.ts'), /not a workspace-relative path/);
      // With both folders open, the link into the other folder is inside the workspace.
      state.folders = [folder('app', 0), folder('lib', 1)];
      const multi = new VscodeFileSource(state.folders, { maxFileSize: 4096 });
      const both = await paths(multi);
      assert.ok(both.includes('app/other-folder.ts') && !both.some((p) => /passwd|ssh\/|up\//.test(p)), both.join(','));
      // A file swapped for a link after listing is refused at read time.
      fs.rmSync(path.join(root, 'app/src/keep.tmp'));
      fs.symlinkSync(path.join(outside, 'passwd'), path.join(root, 'app/src/keep.tmp'));
      await assert.rejects(host.read('src/keep.tmp'), /resolves outside the workspace/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('caps the listing at maxFiles and stops on abort', async () => {
    state.folders = [folder('app')];
    const host = new VscodeFileSource(state.folders, { maxFiles: 3, maxFileSize: 4096 });
    assert.equal((await paths(host)).length, 3);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(async () => { for await (const _ of host.list({ signal: ac.signal })) void _; }, { name: 'AbortError' });
  });
});
