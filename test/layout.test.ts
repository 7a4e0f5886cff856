// The design card's layering, checked on the real import graph (esbuild's metafile), not by convention:
// gpu/ never reaches `vscode` or the extension; webview/ never reaches Node built-ins.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module each entry reaches, and the bare imports left external. */
async function graph(entries: string[], platform: 'node' | 'browser'): Promise<{ inputs: string[]; externals: string[] }> {
  const externals = new Set<string>();
  const r = await esbuild.build({
    entryPoints: entries,
    bundle: true,
    write: false,
    outdir: 'out-layout',
    platform,
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    loader: { '.wgsl': 'text' },
    plugins: [
      {
        name: 'record-externals',
        setup(b) {
          // Record (and keep external) anything that is not a relative import, so nothing is resolved into node_modules.
          b.onResolve({ filter: /^[^./]/ }, (a) => {
            externals.add(a.path);
            return { path: a.path, external: true };
          });
        },
      },
    ],
  });
  return { inputs: Object.keys(r.metafile.inputs), externals: [...externals] };
}

describe('layout: module boundaries from the design card', () => {
  it('gpu/ reaches neither vscode nor extension/ nor webview/', async () => {
    const { inputs, externals } = await graph(tsFiles('gpu'), 'node');
    assert.ok(inputs.length > 40, `expected the whole engine, got ${inputs.length} modules`);
    assert.ok(!externals.includes('vscode'), 'gpu/ imports vscode');
    const outside = inputs.filter((p) => p.startsWith('extension/') || p.startsWith('webview/'));
    assert.deepEqual(outside, [], 'gpu/ reaches extension or webview code');
  });

  it('webview/ reaches no Node built-in and no host code besides the shared protocol', async () => {
    const { inputs, externals } = await graph(tsFiles('webview'), 'browser');
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    assert.deepEqual(externals.filter((e) => node.has(e) || e.startsWith('node:') || e === 'vscode'), []);
    const host = inputs.filter((p) => !p.startsWith('webview/') && p !== 'extension/protocol.ts' && !p.startsWith('node_modules/'));
    assert.deepEqual(host, [], 'webview/ reaches host code');
  });

  it('tools/ (fuzzers, dev-only) is reached by nothing that ships: gpu/, extension/, webview/, cli/', async () => {
    const shipped = [...tsFiles('gpu'), ...tsFiles('extension'), ...tsFiles('cli')];
    const { inputs } = await graph(shipped, 'node');
    assert.deepEqual(inputs.filter((p) => p.startsWith('tools/') || p.startsWith('test/')), [], 'shipped code reaches tools/ or test/');
    const web = await graph(tsFiles('webview'), 'browser');
    assert.deepEqual(web.inputs.filter((p) => p.startsWith('tools/')), []);
  });

  it('extension/core reaches no vscode (shared with the CLI)', async () => {
    const { externals, inputs } = await graph(tsFiles('extension/core'), 'node');
    assert.ok(!externals.includes('vscode'));
    assert.deepEqual(inputs.filter((p) => p.startsWith('extension/vscode/')), []);
  });
});
