import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { NodeFileSource, nodeWalkFs, readText, type FileEntry, type WalkFs } from '../../../extension/core/workspace';
import { isCancellation } from '../../../extension/core/util/abort';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'se-ws-'));
}
function write(root: string, rel: string, content: string | Uint8Array): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}
async function listAll(src: NodeFileSource, signal?: AbortSignal): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for await (const e of src.list({ signal })) out.push(e);
  return out;
}

describe('extension/core/workspace: NodeFileSource', function () {
  const roots: string[] = [];
  after(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });
  function mk(): string {
    const r = tmp();
    roots.push(r);
    return r;
  }

  it('lists text files in sorted order and skips lock files, generated folders, minified files', async () => {
    const root = mk();
    write(root, 'src/b.ts', 'export const b = 1;\n');
    write(root, 'src/a.ts', 'export const a = 1;\n');
    write(root, 'README.md', '# hi\n');
    write(root, 'package-lock.json', '{}');
    write(root, 'sub/yarn.lock', 'x');
    write(root, 'go.sum', 'x');
    write(root, 'node_modules/x/index.js', 'x');
    write(root, 'deep/dist/bundle.js', 'x');
    write(root, '.git/config', 'x');
    write(root, 'target/debug/x.rs', 'x');
    write(root, 'web/app.min.js', 'x');
    const src = new NodeFileSource(root);
    const files = (await listAll(src)).map((e) => e.relPath);
    assert.deepEqual(files, ['README.md', 'src/a.ts', 'src/b.ts']);
    assert.equal(src.skipped.countOf('lock-file'), 3);
    assert.equal(src.skipped.countOf('generated-folder'), 5);
  });

  it('honours nested .gitignore files (with negation) and include/exclude globs', async () => {
    const root = mk();
    write(root, '.gitignore', '*.log\nsecret/\n');
    write(root, 'a.log', 'x');
    write(root, 'secret/k.txt', 'x');
    write(root, 'pkg/.gitignore', 'gen-*\n!gen-keep.ts\n');
    write(root, 'pkg/gen-a.ts', 'x');
    write(root, 'pkg/gen-keep.ts', 'x');
    write(root, 'pkg/main.ts', 'x');
    write(root, 'pkg/notes.md', 'x');
    write(root, 'docs/guide.md', 'x');
    const all = (await listAll(new NodeFileSource(root))).map((e) => e.relPath);
    assert.deepEqual(all, ['.gitignore', 'docs/guide.md', 'pkg/.gitignore', 'pkg/gen-keep.ts', 'pkg/main.ts', 'pkg/notes.md']);
    const src = new NodeFileSource(root, { include: ['**/*.ts', '**/*.md'], exclude: ['docs/**'] });
    const filtered = (await listAll(src)).map((e) => e.relPath);
    assert.deepEqual(filtered, ['pkg/gen-keep.ts', 'pkg/main.ts', 'pkg/notes.md']);
    assert.equal(src.skipped.countOf('excluded'), 1);
    assert.ok(src.skipped.countOf('gitignore') >= 3);
  });

  it('skips a 200 MB file by size without reading it', async () => {
    const root = mk();
    write(root, 'small.ts', 'x');
    const big = path.join(root, 'huge.ts');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 200 * 1024 * 1024); // sparse: no disk or time spent
    const reads: string[] = [];
    const spy: WalkFs = { ...nodeWalkFs, readFile: (p, s) => (reads.push(p), nodeWalkFs.readFile(p, s)) };
    const src = new NodeFileSource(root, { fs: spy });
    const files = (await listAll(src)).map((e) => e.relPath);
    assert.deepEqual(files, ['small.ts']);
    assert.equal(src.skipped.countOf('too-large'), 1);
    assert.ok(!reads.some((p) => p.endsWith('huge.ts')), 'the huge file must never be opened');
    await assert.rejects(src.read('huge.ts'), /exceeds/);
  });

  it('survives symlink loops, never follows links outside the workspace, skips broken links and FIFOs', async () => {
    const outside = mk();
    write(outside, 'secret.ts', 'TOP SECRET');
    const root = mk();
    write(root, 'a/b/file.ts', 'x');
    fs.symlinkSync(path.join(root, 'a'), path.join(root, 'a/b/loop')); // loop back to an ancestor
    fs.symlinkSync(root, path.join(root, 'a/self'));
    fs.symlinkSync(outside, path.join(root, 'out-dir'));
    fs.symlinkSync(path.join(outside, 'secret.ts'), path.join(root, 'out-file.ts'));
    fs.symlinkSync(path.join(root, 'missing.ts'), path.join(root, 'dangling.ts'));
    fs.symlinkSync(path.join(root, 'a/b/file.ts'), path.join(root, 'inside-link.ts'));
    execFileSync('mkfifo', [path.join(root, 'pipe.ts')]);
    const src = new NodeFileSource(root);
    const files = (await listAll(src)).map((e) => e.relPath);
    assert.deepEqual(files, ['inside-link.ts', 'a/b/file.ts']);
    assert.equal(src.skipped.countOf('symlink-outside'), 2);
    assert.equal(src.skipped.countOf('symlink-loop'), 2);
    assert.equal(src.skipped.countOf('broken-link'), 1);
    assert.equal(src.skipped.countOf('not-regular'), 1);
    await assert.rejects(src.read('out-file.ts'), /outside the workspace/);
    await assert.rejects(src.read('../' + path.basename(outside) + '/secret.ts'), /not a workspace-relative path/);
  });

  it('reports unreadable folders and files, binaries named .ts, and decodes non-UTF-8 text lossily', async () => {
    const root = mk();
    write(root, 'locked/x.ts', 'x');
    write(root, 'ok.ts', 'const ok = 1;\n');
    write(root, 'gone.ts', 'x');
    write(root, 'blob.ts', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
    write(root, 'latin1.ts', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    write(root, 'crlf.ts', 'a\r\nb\r\n');
    fs.mkdirSync(path.join(root, 'dir-named.ts'));
    write(root, 'dir-named.ts/inner.ts', 'y');
    // Running as root, chmod 000 does not deny reads, so simulate EACCES through the fs seam.
    const eacces = (): Promise<never> => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const fsx: WalkFs = {
      ...nodeWalkFs,
      readdir: (d) => (d.endsWith(`${path.sep}locked`) ? eacces() : nodeWalkFs.readdir(d)),
    };
    const src = new NodeFileSource(root, { fs: fsx });
    const files = (await listAll(src)).map((e) => e.relPath);
    assert.deepEqual(files, ['blob.ts', 'crlf.ts', 'gone.ts', 'latin1.ts', 'ok.ts', 'dir-named.ts/inner.ts']);
    assert.equal(src.skipped.countOf('unreadable'), 1);
    fs.rmSync(path.join(root, 'gone.ts')); // vanished between listing and reading
    assert.deepEqual(await readText(src, 'gone.ts'), { kind: 'skipped' });
    assert.deepEqual(await readText(src, 'blob.ts'), { kind: 'skipped' });
    const latin = await readText(src, 'latin1.ts');
    assert.deepEqual(latin, { kind: 'text', text: 'caf\uFFFD\n', lossy: true });
    assert.deepEqual(await readText(src, 'crlf.ts'), { kind: 'text', text: 'a\nb\n', lossy: false });
    const s = src.skipped.summary();
    assert.equal(s.byReason.unreadable?.count, 2);
    assert.equal(s.byReason.binary?.count, 1);
    assert.deepEqual(s.lossyDecoded.examples, ['latin1.ts']);
    assert.match(src.skipped.format(), /binary: 1 \(blob\.ts\)/);
  });

  it('bounds deep trees by maxDepth and big trees by maxFiles', async () => {
    const root = mk();
    let rel = '';
    for (let i = 0; i < 100; i++) rel += `d${i}/`;
    write(root, `${rel}leaf.ts`, 'x');
    write(root, 'top.ts', 'x');
    const src = new NodeFileSource(root, { maxDepth: 10 });
    assert.deepEqual((await listAll(src)).map((e) => e.relPath), ['top.ts']);
    assert.equal(src.skipped.countOf('max-depth'), 1);
    const deep = new NodeFileSource(root, { maxDepth: 200 });
    assert.equal((await listAll(deep)).length, 2);
    for (let i = 0; i < 20; i++) write(root, `many/f${i}.ts`, 'x');
    const capped = new NodeFileSource(root, { maxFiles: 5, maxDepth: 200 });
    assert.equal((await listAll(capped)).length, 5);
    assert.equal(capped.skipped.countOf('max-files'), 1);
  });

  it('stops within 200 ms of an abort while listing', async () => {
    const root = mk();
    for (let d = 0; d < 40; d++) for (let f = 0; f < 50; f++) write(root, `d${d}/f${f}.ts`, 'x');
    // Slow every fs call down so the walk would take seconds without cancellation.
    const slow: WalkFs = {
      ...nodeWalkFs,
      readdir: async (d) => (await new Promise((r) => setTimeout(r, 20)), nodeWalkFs.readdir(d)),
      stat: async (p) => (await new Promise((r) => setTimeout(r, 2)), nodeWalkFs.stat(p)),
    };
    const src = new NodeFileSource(root, { fs: slow });
    const ac = new AbortController();
    let abortedAt = 0;
    let seen = 0;
    const err = await (async () => {
      try {
        for await (const _ of src.list({ signal: ac.signal })) {
          if (++seen === 10) {
            setTimeout(() => {
              abortedAt = Date.now();
              ac.abort();
            }, 0);
          }
        }
        return null;
      } catch (e) {
        return e;
      }
    })();
    const latency = Date.now() - abortedAt;
    assert.ok(isCancellation(err), `expected cancellation, got ${String(err)}`);
    assert.ok(seen < 2000, 'listing must not complete');
    assert.ok(latency < 200, `cancellation took ${latency} ms`);
  });
});
