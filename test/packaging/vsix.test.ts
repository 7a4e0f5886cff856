// Checks the platform-specific .vsix files made by `npm run package` (scripts/package.mjs): each holds its own
// Dawn addon and nothing of another platform's, the bundle (with its WGSL kernels inlined), the webview,
// the embedded passkey model, the docs and the icon, and no sources, tests or node_modules.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { listZip, readZipEntry, type ZipEntry } from './zip';

const root = join(__dirname, '../..');
// Packages are built fresh by the test (all six take about 40 s) so it never checks a stale .vsix; set
// SELFEXTEND_VSIX_DIR to check already-built ones instead (e.g. after `npm run package`: out/).
const prebuilt = process.env.SELFEXTEND_VSIX_DIR;
let outDir = prebuilt ?? '';
const targets = JSON.parse(readFileSync(join(root, 'scripts/package-targets.json'), 'utf8')) as Record<string, string>;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; main: string };
const vsixPath = (t: string) => join(outDir, `selfextend-vscode-${t}-${manifest.version}.vsix`);
const MAX_LINUX_X64_BYTES = 15 * 1024 * 1024;

/** Top-level folders of the checkout that must never ship (dist/webview is the bundle, not webview/). */
const FORBIDDEN_DIRS = ['node_modules', 'test', 'src', 'gpu', 'cli', 'webview', 'extension', 'scripts', 'types', 'tmp', 'reports', 'out', '.e2e', '.git'];

interface Vsix {
  buf: Buffer;
  entries: ZipEntry[];
  byName: Map<string, ZipEntry>;
}

function openVsix(file: string): Vsix {
  const buf = readFileSync(file);
  const entries = listZip(buf);
  return { buf, entries, byName: new Map(entries.map((e) => [e.name, e])) };
}

/** The .wgsl files esbuild inlines into dist/backend-worker.js (the engine runs in the backend worker),
 * from a metafile-only build of the same entry. */
async function wgslInputsOfWorker(): Promise<string[]> {
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['extension/backend/worker-main.ts'],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    loader: { '.wgsl': 'text' },
    external: ['vscode', 'node-llama-cpp', 'webgpu'],
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs).filter((f) => f.endsWith('.wgsl'));
}

describe('packaging: .vscodeignore', function () {
  it('.vscodeignore alone keeps sources, tests and node_modules out of a package made from the checkout', function () {
    // `vsce ls` applies .vscodeignore to the repository root, the way a plain `vsce package` would.
    const listed = execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const bad = listed.filter(
      (f) => FORBIDDEN_DIRS.some((d) => f.startsWith(`${d}/`)) || /\.(ts|map|vsix)$/.test(f) || (f.startsWith('assets/') && !f.startsWith('assets/models/passkey-')),
    );
    assert.deepEqual(bad, [], `files .vscodeignore lets through: ${bad.join(', ')}`);
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'media/icon.png', 'assets/models/passkey-char-128.gguf']) {
      assert.ok(listed.includes(f), `${f} is missing from \`vsce ls\`: ${listed.join(', ')}`);
    }
  });
});

describe('packaging: platform-specific .vsix files', function () {
  let missing: string[] = [];

  before(function () {
    this.timeout(600_000);
    if (!prebuilt) {
      outDir = mkdtempSync(join(tmpdir(), 'selfextend-vsix-'));
      execFileSync(process.execPath, [join(root, 'scripts/package.mjs'), '--out', outDir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    missing = Object.keys(targets).filter((t) => !existsSync(vsixPath(t)));
    assert.deepEqual(missing, [], `no .vsix for ${missing.join(', ')} in ${outDir}`);
  });
  after(function () {
    if (!prebuilt && outDir) rmSync(outDir, { recursive: true, force: true });
  });

  for (const [target, nativeDir] of Object.entries(targets)) {
    describe(target, function () {
      let v: Vsix;
      before(function () {
        v = openVsix(vsixPath(target));
      });

      it('declares its target platform in the manifest', function () {
        const xml = readZipEntry(v.buf, v.byName.get('extension.vsixmanifest')!).toString('utf8');
        assert.match(xml, new RegExp(`TargetPlatform="${target}"`));
        assert.match(xml, /<Icon>extension\/media\/icon\.png<\/Icon>/, 'the manifest names the icon');
      });

      it(`holds exactly its own dawn.node (${nativeDir}) and what sits beside it, no other platform's`, function () {
        const natives = v.entries.filter((e) => e.name.startsWith('extension/dist/native/'));
        const dawns = natives.filter((e) => e.name.endsWith('dawn.node')).map((e) => e.name);
        assert.deepEqual(dawns, [`extension/dist/native/${nativeDir}/dawn.node`]);
        const shipped = natives.map((e) => e.name.slice(`extension/dist/native/${nativeDir}/`.length)).sort();
        assert.ok(natives.every((e) => e.name.startsWith(`extension/dist/native/${nativeDir}/`)), 'only one native folder');
        const source = join(root, 'node_modules/webgpu/dist', nativeDir);
        if (existsSync(source)) {
          assert.deepEqual(shipped, readdirSync(source).sort(), 'the addon folder is copied whole (Windows needs its DLLs)');
          assert.equal(v.byName.get(`extension/dist/native/${nativeDir}/dawn.node`)!.size, statSync(join(source, 'dawn.node')).size);
        }
        if (target.startsWith('win32')) {
          for (const dll of ['d3dcompiler_47.dll', 'dxcompiler.dll']) assert.ok(shipped.includes(dll), `${dll} beside dawn.node`);
        }
      });

      it('holds the bundled extension, its WGSL kernels, the webview, the passkey model, docs and icon', async function () {
        const pkg = JSON.parse(readZipEntry(v.buf, v.byName.get('extension/package.json')!).toString('utf8')) as {
          main: string;
          icon?: string;
          scripts?: Record<string, string>;
        };
        const main = `extension/${pkg.main.replace(/^\.\//, '')}`;
        assert.ok(v.byName.has(main), `main ${pkg.main} is in the package`);
        assert.equal(pkg.icon, 'media/icon.png');
        assert.equal(main, 'extension/dist/extension.js');
        // The extension bundle starts the backend worker from beside itself (extension/backend/client.ts).
        const worker = 'extension/dist/backend-worker.js';
        assert.ok(v.byName.has(worker), 'the backend worker bundle is in the package');
        const js = readZipEntry(v.buf, v.byName.get(worker)!).toString('utf8');
        assert.ok(!/require\(["']webgpu["']\)/.test(js), 'the bundle loads dawn.node itself, not the webgpu package');

        const wgsl = await wgslInputsOfWorker();
        assert.ok(wgsl.length > 0, 'the worker bundle inlines WGSL kernels (none reached from extension/backend/worker-main.ts)');
        for (const f of wgsl) {
          const src = readFileSync(join(root, f), 'utf8');
          // esbuild's text loader emits a string literal: a template literal when minified (backticks,
          // backslashes and ${ escaped) or a quoted string (JSON-style escapes); non-ASCII becomes \xNN below
          // U+0100 and \uXXXX above (esbuild's default ASCII charset).
          const ascii = (t: string) =>
            t.replace(/[^\x00-\x7f]/g, (c) => {
              const code = c.charCodeAt(0);
              return code < 0x100 ? `\\x${code.toString(16).toUpperCase()}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
            });
          const asTemplate = ascii(src.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${'));
          const asQuoted = ascii(JSON.stringify(src).slice(1, -1));
          assert.ok([src, asTemplate, asQuoted].some((form) => js.includes(form)), `${f} is inlined whole in ${worker}`);
        }

        assert.ok(v.byName.has('extension/dist/webview/webview.js'), 'webview bundle');
        assert.ok(v.entries.some((e) => /^extension\/dist\/webview\/[^/]+\.css$/.test(e.name)), 'webview CSS');
        const model = v.byName.get('extension/assets/models/passkey-char-128.gguf');
        assert.ok(model, 'embedded passkey model');
        assert.equal(model.size, statSync(join(root, 'assets/models/passkey-char-128.gguf')).size);
        assert.ok(v.byName.has('extension/assets/models/passkey-cases.jsonl'), 'passkey cases');
        for (const re of [/^extension\/readme\.md$/i, /^extension\/changelog\.md$/i, /^extension\/license(\.txt|\.md)?$/i]) {
          assert.ok(v.entries.some((e) => re.test(e.name)), `${re} is in the package`);
        }
        const icon = readZipEntry(v.buf, v.byName.get('extension/media/icon.png')!);
        assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
        assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128], 'icon is 128×128');
      });

      it('holds no sources, tests, maps or node_modules', function () {
        const bad = v.entries
          .map((e) => e.name)
          .filter((n) => FORBIDDEN_DIRS.some((d) => n.startsWith(`extension/${d}/`)) || /\.(ts|map|vsix|log)$/.test(n));
        assert.deepEqual(bad, []);
        const assets = v.entries.filter((e) => e.name.startsWith('extension/assets/')).map((e) => e.name);
        assert.deepEqual(assets.sort(), ['extension/assets/models/passkey-cases.jsonl', 'extension/assets/models/passkey-char-128.gguf']);
      });

      if (target === 'linux-x64') {
        it('stays under 15 MB', function () {
          const size = statSync(vsixPath(target)).size;
          console.log(`      ${target}: ${(size / 1e6).toFixed(2)} MB, ${v.entries.length} files`);
          assert.ok(size < MAX_LINUX_X64_BYTES, `${size} bytes`);
        });
      }
    });
  }
});
