// Extension entry point (bundled by esbuild to dist/extension.js, package.json "main").
export { activate, deactivate } from './vscode/activate';
