// Issue 13 finding 7: hostile .gitignore files and include/exclude globs cannot stall the listing.
// Globs are matched without backtracking (extension/core/workspace/glob.ts), ignore files are bounded in
// rules, rule length and '**' per rule, and every cap is reported.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { NodeFileSource, SkipReport, filterHostListing, type FileEntry } from '../../../extension/core/workspace';
import { compileGlobs, GlobLimitError } from '../../../extension/core/workspace/glob';
import { MAX_IGNORE_RULES } from '../../../extension/core/workspace/ignore-rules';

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

async function walk(root: string, opts: ConstructorParameters<typeof NodeFileSource>[1] = {}): Promise<{ paths: string[]; skipped: SkipReport }> {
  const src = new NodeFileSource(root, opts);
  const paths: string[] = [];
  for await (const e of src.list()) paths.push(e.relPath);
  return { paths, skipped: src.skipped };
}

function rawListing(root: string, rel = ''): FileEntry[] {
  return fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((d) => {
    const r = rel ? `${rel}/${d.name}` : d.name;
    return d.isDirectory() ? rawListing(root, r) : [{ relPath: r, size: fs.statSync(path.join(root, r)).size }];
  });
}

describe('workspace: pathological globs and ignore files stay bounded (issue 13 finding 7)', () => {
  let root = '';
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-pat-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('backtracking globs (*a*a*a*a*a*a*b, **/a/**/a/**/a/**/b) list a hostile tree in well under a second', async function () {
    this.timeout(20_000); // picomatch took 16 s on ONE 200-character name with four stars
    write(root, 'a'.repeat(200), 'x');
    write(root, Array(40).fill('a').join('/') + '/f.ts', 'x');
    write(root, 'src/b.ts', 'x');
    const exclude = ['*a*a*a*a*a*a*b', 'x/**/a/**/a/**/a/**/a/**/c'];
    const include = ['**/a/**/a/**/a/**/b', '**/*.ts', 'a*a*a*a*a*a*a*a*a*a*'];
    const t0 = performance.now();
    const { paths } = await walk(root, { include, exclude });
    const hosted = await filterHostListing(rawListing(root), { include, exclude, skipped: new SkipReport() });
    const ms = performance.now() - t0;
    assert.deepEqual(paths.sort(), [Array(40).fill('a').join('/') + '/f.ts', 'a'.repeat(200), 'src/b.ts'].sort());
    assert.deepEqual(hosted.map((e) => e.relPath).sort(), paths);
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  });

  it('matches like picomatch on ordinary globs (dot files, braces, classes, globstars, negation)', () => {
    const patterns = ['**/*.ts', 'src/**', '*.md', 'docs/**/*.{md,txt}', '**/secret', 'a?c.js', '[ab]*.ts', '[^a]*.js', 'lib/*/index.ts', '**/.github/**', '!**/*.test.ts', 'x/**/y/**/z', '**', '*', 'src/*.{ts,{js,mjs}}'];
    const paths = ['a.ts', 'src/a.ts', '.github/w.ts', '.github/x/y.yml', 'README.md', 'docs/a.md', 'docs/x/y/b.txt', 'docs/c.js', 'secret', 'x/secret', 'abc.js', 'a/c.js', 'b1.ts', 'c1.ts', 'z.js',
      'lib/p/index.ts', 'lib/p/q/index.ts', 'a.test.ts', 'x/y/z', 'x/q/y/r/z', 'x/y', 'src/m.mjs', 'src/m.cjs', 'src'];
    for (const p of patterns) {
      const ours = compileGlobs([p], 'test');
      const theirs = picomatch(p, { dot: true });
      for (const q of paths) assert.equal(ours(q), theirs(q), `${p} on ${q}`);
    }
    // `[!a]` negates as in POSIX and VS Code (picomatch 4 reads it differently).
    assert.deepEqual(['abc.js', 'zbc.js'].map(compileGlobs(['[!a]*.js'], 'test')), [false, true]);
  });

  it('caps pattern count, length and brace expansion with a clear error', () => {
    assert.throws(() => compileGlobs(Array(257).fill('*.ts'), 'exclude'), (e: unknown) => e instanceof GlobLimitError && /exclude has 257 patterns; at most 256/.test(e.message));
    assert.throws(() => compileGlobs(['a'.repeat(2000)], 'include'), /include pattern 1 is 2000 characters long; at most 1024/);
    assert.throws(() => compileGlobs(['{a,b}'.repeat(12)], 'include'), /pattern 1 expands to more than 256 alternatives/);
    assert.throws(() => new NodeFileSource(root, { exclude: Array(300).fill('x') }), GlobLimitError);
  });

  it('a 1 MB .gitignore and rules with many ** are capped and reported, by the walker and the host listing alike', async function () {
    this.timeout(20_000); // 17 s before the caps
    const rules = Array.from({ length: 45_000 }, (_, i) => `gen-${i}/**/*.tmp`);
    write(root, '.gitignore', `secret.txt\n**/a/**/a/**/a/**/a/**/b\n${'x'.repeat(300)}\n${rules.join('\n')}\n`);
    for (let i = 0; i < 30; i++) write(root, `d${i}/${Array(20).fill('a').join('/')}/f${i}.ts`, 'x');
    write(root, 'secret.txt', 'x');
    const t0 = performance.now();
    const { paths, skipped } = await walk(root);
    const hostSkipped = new SkipReport();
    const hosted = await filterHostListing(rawListing(root), { skipped: hostSkipped, readIgnoreFile: async (p) => fs.readFileSync(path.join(root, p), 'utf8') });
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
    assert.equal(paths.length, 31, 'the 30 deep files and .gitignore');
    assert.ok(!paths.includes('secret.txt'), 'rules within the caps still apply');
    assert.deepEqual(hosted.map((e) => e.relPath).sort(), paths.sort());
    for (const s of [skipped, hostSkipped]) assert.deepEqual(s.summary().byReason['ignore-rules-capped'], { count: 1, examples: ['.gitignore'] });
    assert.ok(MAX_IGNORE_RULES < rules.length);
  });
});
