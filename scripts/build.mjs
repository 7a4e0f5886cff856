// Bundles the extension host code, the CLI (both CommonJS for Node/Electron) and the webview (browser).
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  loader: { '.wgsl': 'text' },
};
// Node side: `vscode` is provided by the host; node-llama-cpp is a dev-only oracle for bench/tests.
const nodeExternal = ['vscode', 'node-llama-cpp', 'webgpu'];
const entries = [];
if (existsSync('extension/main.ts')) {
  entries.push({ ...common, entryPoints: ['extension/main.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal });
}
// The backend worker (engine, tokenizer, templates, context packing): started by both bundles above
// from beside themselves (extension/backend/client.ts), so it lives in dist/ next to them.
if (existsSync('extension/backend/worker-main.ts')) {
  entries.push({ ...common, entryPoints: ['extension/backend/worker-main.ts'], outfile: 'dist/backend-worker.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal });
}
if (existsSync('cli/main.ts')) {
  entries.push({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal, banner: { js: '#!/usr/bin/env node' } });
}
if (existsSync('webview/main.ts')) {
  entries.push({ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview/webview.js', platform: 'browser', format: 'iife', target: 'es2022' });
}
mkdirSync('dist', { recursive: true });
if (watch) {
  for (const e of entries) (await esbuild.context(e)).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build(e)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
}
// Static webview assets (CSS) are copied as they are.
if (existsSync('webview/assets')) {
  mkdirSync('dist/webview', { recursive: true });
  for (const f of readdirSync('webview/assets')) copyFileSync(join('webview/assets', f), join('dist/webview', f));
}
