// extension/core is shared with the CLI: it must never depend on the `vscode` module.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

describe('extension/core: host independence', () => {
  it('no module imports or requires vscode, directly or through extension/vscode', () => {
    const files = tsFiles(path.join(process.cwd(), 'extension', 'core'));
    assert.ok(files.length > 10);
    for (const f of files) {
      const src = fs.readFileSync(f, 'utf8');
      assert.doesNotMatch(src, /from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)/, f);
      assert.doesNotMatch(src, /from\s+['"][./]*(?:\.\.\/)+vscode\//, f);
    }
  });
});
