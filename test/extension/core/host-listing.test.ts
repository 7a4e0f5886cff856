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
});
