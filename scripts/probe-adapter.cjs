// Exit 0 when Dawn finds a WebGPU adapter, 1 otherwise (used by .ci/run to decide on installing lavapipe).
const path = require('node:path');
process.env.XDG_RUNTIME_DIR = process.env.XDG_RUNTIME_DIR || '/tmp';
const arch = process.platform === 'darwin' ? 'universal' : process.arch;
const dawn = require(path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${arch}`, 'dawn.node'));
dawn.create([]).requestAdapter().then(
  (a) => { if (!a) { console.error('probe: no WebGPU adapter'); process.exit(1); } console.error('probe: WebGPU adapter found'); process.exit(0); },
  (e) => { console.error('probe: ' + e.message); process.exit(1); },
);
