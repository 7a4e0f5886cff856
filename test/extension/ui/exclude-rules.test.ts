import { strict as assert } from 'node:assert';
import { enabledGlobs, excludeMatcher, findFilesExcludeGlob } from '../../../extension/vscode/exclude-rules';

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
});
