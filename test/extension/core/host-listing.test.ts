import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource, SkipReport, filterHostListing, type FileEntry } from '../../../extension/core/workspace';

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

/** Every regular file, unfiltered: what a host enumeration without our rules would return. */
function rawListing(root: string, rel = ''): FileEntry[] {
  const out: FileEntry[] = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...rawListing(root, r));
    else if (d.isFile()) out.push({ relPath: r, size: fs.statSync(path.join(root, r)).size, uri: `file:///${r}` });
  }
  return out;
}

describe('extension/core/workspace: filterHostListing (rules for host-enumerated files)', () => {
  it('accepts exactly what the Node walker accepts, with the same skip reasons', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-host-'));
    try {
      write(root, '.gitignore', 'logs/\n*.tmp\n');
      write(root, 'logs/a.txt', 'x');
      write(root, 'x.tmp', 'x');
      write(root, 'src/main.ts', 'x');
      write(root, 'src/.gitignore', 'gen/\n!keep.tmp\n');
      write(root, 'src/gen/out.ts', 'x');
      write(root, 'src/keep.tmp', 'x');
      write(root, 'src/big.ts', 'y'.repeat(5000));
      write(root, 'node_modules/p/i.js', 'x');
      write(root, 'pkg/dist/b.js', 'x');
      write(root, 'yarn.lock', 'x');
      write(root, 'docs/a.md', 'x');
      write(root, 'docs/sub/b.md', 'x');
      const filters = { exclude: ['docs/sub/**'], maxFileSize: 4096 };
      const node = new NodeFileSource(root, filters);
      const walked: string[] = [];
      for await (const e of node.list()) walked.push(e.relPath);
      const skipped = new SkipReport();
      const hosted = await filterHostListing(rawListing(root), { ...filters, skipped, readIgnoreFile: async (p) => fs.readFileSync(path.join(root, p), 'utf8') });
      assert.deepEqual(hosted.map((e) => e.relPath).sort(), walked.sort());
      assert.deepEqual(walked.sort(), ['.gitignore', 'docs/a.md', 'src/.gitignore', 'src/keep.tmp', 'src/main.ts']);
      for (const reason of ['lock-file', 'too-large', 'excluded'] as const) assert.equal(skipped.countOf(reason), node.skipped.countOf(reason), reason);
      assert.ok(skipped.countOf('gitignore') >= 3 && skipped.countOf('generated-folder') === 2);
      assert.equal(hosted.find((e) => e.relPath === 'src/main.ts')?.uri, 'file:///src/main.ts', 'host data is passed through');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('applies nested .gitignore layers and .git/info/exclude like git', async () => {
    const files: Record<string, string> = {
      '.gitignore': '*.log\nbuild2/\n/tmp\n', 'pkg/.gitignore': '!keep.log\ngen/\n', 'empty/.gitignore': '# nothing\n', '.git/info/exclude': 'secret.txt\n',
    };
    const paths = ['a.log', 'src/a.ts', 'x/build2/y.ts', 'tmp/a.ts', 'src/tmp/a.ts', 'pkg/keep.log', 'pkg/other.log', 'pkg/gen/x.ts', 'gen/x.ts', 'secret.txt', 'empty/e.ts', ...Object.keys(files).filter((p) => !p.startsWith('.git/'))];
    const skipped = new SkipReport();
    const out = await filterHostListing(paths.map((relPath) => ({ relPath, size: 1 })), {
      skipped, readIgnoreFile: async (p) => { const c = files[p]; if (c === undefined) throw new Error('ENOENT'); return c; },
    });
    assert.deepEqual(out.map((e) => e.relPath).sort(), ['.gitignore', 'empty/.gitignore', 'empty/e.ts', 'gen/x.ts', 'pkg/.gitignore', 'pkg/keep.log', 'src/a.ts', 'src/tmp/a.ts']);
    assert.equal(skipped.countOf('gitignore'), 6);
  });

  it('with a host stat: stats only path-accepted files, applies size/kind/unreadable, prefixes multi-root paths and caps the count', async () => {
    const statted: string[] = [];
    const skipped = new SkipReport();
    const entries = ['node_modules/x.js', 'yarn.lock', 'a.ts', 'big.ts', 'dir', 'gone.ts', 'b.ts', 'z.ts'].map((relPath) => ({ relPath, size: 0, uri: `mem:/${relPath}` }));
    const progress: number[] = [];
    const out = await filterHostListing(entries, {
      skipped, maxFileSize: 100, maxFiles: 2, pathPrefix: 'web/', onProgress: (n) => progress.push(n),
      stat: async (e) => {
        statted.push(e.relPath);
        if (e.relPath === 'gone.ts') throw new Error('ENOENT');
        return { size: e.relPath === 'big.ts' ? 1000 : 10, mtimeMs: 7, isFile: e.relPath !== 'dir' };
      },
    });
    assert.deepEqual(statted.sort(), ['a.ts', 'b.ts', 'big.ts', 'dir', 'gone.ts', 'z.ts'], 'ignored/generated/lock files are never stat\'ed');
    assert.deepEqual(out, [{ relPath: 'web/a.ts', size: 10, mtimeMs: 7, uri: 'mem:/a.ts' }, { relPath: 'web/b.ts', size: 10, mtimeMs: 7, uri: 'mem:/b.ts' }]);
    const s = skipped.summary().byReason;
    assert.deepEqual(s['too-large']?.examples, ['web/big.ts']);
    assert.deepEqual(s['not-regular']?.examples, ['web/dir']);
    assert.deepEqual(s['unreadable']?.examples, ['web/gone.ts']);
    assert.deepEqual(s['max-files']?.examples, ['web/z.ts']);
    assert.deepEqual(s['generated-folder']?.examples, ['web/node_modules/x.js']);
    assert.equal(progress.at(-1), 2);
  });
});
