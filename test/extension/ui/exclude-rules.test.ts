import { strict as assert } from 'node:assert';
import { enabledGlobs, excludeMatcher, findFilesExcludeGlob, ignoreBase, ignoredByLayers } from '../../../extension/vscode/exclude-rules';
import { parseIgnoreFile, type IgnoreLayer } from '../../../extension/core/workspace/ignore-rules';

function layers(files: Record<string, string>): Map<string, IgnoreLayer> {
  const m = new Map<string, IgnoreLayer>();
  for (const [path, content] of Object.entries(files)) {
    const l = parseIgnoreFile(ignoreBase(path), content);
    if (l) m.set(l.base, l);
  }
  return m;
}

describe('extension/vscode exclude rules', () => {
  it('takes only enabled keys from files.exclude / search.exclude', () => {
    assert.deepEqual(enabledGlobs({ '**/.git': true, '**/*.js': { when: '$(basename).ts' }, 'out': false, 'tmp/': true }), ['**/.git', 'tmp/']);
    assert.deepEqual(enabledGlobs(undefined), []);
    assert.deepEqual(enabledGlobs('x'), []);
  });
  it('builds one findFiles exclude glob with folders, generated dirs, and no nested braces', () => {
    const g = findFilesExcludeGlob(['**/secret', 'docs/', '**/*.{png,jpg}']);
    assert.ok(g.startsWith('{') && g.endsWith('}'));
    assert.ok(g.includes('**/node_modules/**'));
    assert.ok(g.includes('**/secret,**/secret/**') || (g.includes('**/secret') && g.includes('**/secret/**')));
    assert.ok(g.includes('docs/**'));
    assert.ok(!g.slice(1, -1).includes('{'), 'no nested brace group');
  });
  it('post-filter matches files and anything under matching folders, including brace globs', () => {
    const m = excludeMatcher(['**/secret', 'docs/', '**/*.{png,jpg}', '.env']);
    assert.equal(m('a/secret/key.ts'), true);
    assert.equal(m('secret'), true);
    assert.equal(m('docs/x/y.md'), true);
    assert.equal(m('img/a.png'), true);
    assert.equal(m('.env'), true);
    assert.equal(m('src/secretive.ts'), false);
    assert.equal(m('src/docs.ts'), false);
    assert.equal(excludeMatcher([])('anything'), false);
  });
  it('applies nested .gitignore layers like git', () => {
    const l = layers({ '.gitignore': '*.log\nbuild/\n/tmp\n', 'pkg/.gitignore': '!keep.log\ngen/\n', 'empty/.gitignore': '# nothing\n' });
    assert.equal(l.has('empty'), false);
    assert.equal(ignoredByLayers(l, 'a.log'), true);
    assert.equal(ignoredByLayers(l, 'src/a.ts'), false);
    assert.equal(ignoredByLayers(l, 'x/build/y.ts'), true);
    assert.equal(ignoredByLayers(l, 'tmp/a.ts'), true);
    assert.equal(ignoredByLayers(l, 'src/tmp/a.ts'), false, 'anchored pattern only at its own folder');
    assert.equal(ignoredByLayers(l, 'pkg/keep.log'), false, 'deeper layer re-includes');
    assert.equal(ignoredByLayers(l, 'pkg/other.log'), true);
    assert.equal(ignoredByLayers(l, 'pkg/gen/x.ts'), true);
    assert.equal(ignoredByLayers(l, 'gen/x.ts'), false);
    assert.equal(ignoredByLayers(new Map(), 'a.log'), false);
  });
});
