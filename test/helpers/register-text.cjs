// Lets mocha (via tsx) import .wgsl files as strings, the way esbuild's text loader does in bundles.
const fs = require('node:fs');
require.extensions['.wgsl'] = (module, filename) => {
  module.exports = { __esModule: true, default: fs.readFileSync(filename, 'utf8') };
};
process.env.XDG_RUNTIME_DIR = process.env.XDG_RUNTIME_DIR || '/tmp';
