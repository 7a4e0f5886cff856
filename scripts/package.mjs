// `npm run package`: one production build, then one platform-specific .vsix per target, each holding only
// its own Dawn addon (dawn.node, plus the DLLs Windows loads beside it).
//
//   node scripts/package.mjs [--target linux-x64[,win32-x64...]] [--out out]
//
// Why a staging folder per target instead of packaging the repository root: other work (watch builds,
// tests) writes dist/ at any time, and dist/native/ must hold exactly one platform's addon while vsce
// runs. So the build runs in out/.stage/build (its sources are symlinks to the checkout), and each
// target gets out/.stage/<target>/ with only the files that ship, filtered again by .vscodeignore.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * VS Code target → folder of node_modules/webgpu/dist holding its dawn.node (the names gpu/device/dawn.ts
 * looks for: macOS ships one universal binary for both CPUs). Shared with test/packaging.
 */
export const TARGETS = JSON.parse(readFileSync(join(root, 'scripts/package-targets.json'), 'utf8'));

/** Files and folders (relative to the root) copied into every target's stage; .vscodeignore filters further. */
const SHIPPED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media', 'assets/models'];
/** Top-level entries the isolated build must not see through symlinks (outputs, VCS, caches). */
const NOT_LINKED = new Set(['.git', 'dist', 'out', 'tmp', 'reports', '.e2e', '.bench']);

function parseArgs(argv) {
  const opts = { targets: Object.keys(TARGETS), out: join(root, 'out') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--target' || a === '--targets') opts.targets = value().split(',').filter(Boolean);
    else if (a === '--out') opts.out = resolve(value());
    else throw new Error(`unknown argument ${a} (expected --target <t>[,<t>...] or --out <dir>)`);
  }
  for (const t of opts.targets) {
    if (!(t in TARGETS)) throw new Error(`unknown target ${t}; valid: ${Object.keys(TARGETS).join(', ')}`);
  }
  return opts;
}

function buildProduction(stageRoot) {
  const dir = join(stageRoot, 'build');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(root)) {
    if (!NOT_LINKED.has(name)) symlinkSync(join(root, name), join(dir, name));
  }
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production'], { cwd: dir, stdio: 'inherit' });
  const dist = join(dir, 'dist');
  if (!existsSync(join(dist, 'extension.js'))) throw new Error('production build produced no dist/extension.js');
  return dist;
}

function stageTarget(stageRoot, dist, target) {
  const dir = join(stageRoot, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const rel of SHIPPED) {
    const src = join(root, rel);
    if (!existsSync(src)) {
      // README.md is written by another team; vsce will say so if it is still missing.
      console.warn(`package: ${rel} is missing; the package will lack it`);
      continue;
    }
    cpSync(src, join(dir, rel), { recursive: true });
  }
  // The bundle, minus any native folder a stray build left: native files are added for this target only.
  cpSync(dist, join(dir, 'dist'), { recursive: true, filter: (p) => !p.startsWith(join(dist, 'native')) });
  const nativeDir = TARGETS[target];
  const from = join(root, 'node_modules/webgpu/dist', nativeDir);
  if (!existsSync(join(from, 'dawn.node'))) throw new Error(`no dawn.node for ${target} at ${from}; run npm ci`);
  cpSync(from, join(dir, 'dist/native', nativeDir), { recursive: true });
  // The bundle is already built: a vscode:prepublish hook would rebuild from this sourceless folder.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.scripts) delete manifest.scripts['vscode:prepublish'];
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, manifest };
}

export function vsixName(target, version) {
  return `selfextend-vscode-${target}-${version}.vsix`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stageRoot = join(opts.out, '.stage');
  mkdirSync(opts.out, { recursive: true });
  const t0 = Date.now();
  const dist = buildProduction(stageRoot);
  console.log(`package: production build in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
  for (const target of opts.targets) {
    const t1 = Date.now();
    const { dir, manifest } = stageTarget(stageRoot, dist, target);
    const file = join(opts.out, vsixName(target, manifest.version));
    rmSync(file, { force: true });
    execFileSync(
      process.execPath,
      [
        vsce, 'package',
        '--target', target,
        '--no-dependencies', // the bundle needs no node_modules at run time
        '--allow-missing-repository', // local project: no public repository to name
        '--no-rewrite-relative-links', // README links stay relative (no repository to rebase them on)
        '--out', file,
      ],
      { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const mb = (statSync(file).size / 1e6).toFixed(2);
    console.log(`package: ${file} (${mb} MB) in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(stageRoot, { recursive: true, force: true });
  console.log(`package: ${opts.targets.length} package(s) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
