// Loads Dawn's N-API addon (npm `webgpu`) directly, not through the package's ESM index, so the same code
// works from a CommonJS bundle in VS Code's extension host (Electron) and from Node.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DawnNotFoundError, platformDir } from './errors';

export { DawnNotFoundError };

export interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let cached: DawnModule | undefined;


/** Candidate locations of dawn.node: beside the bundle (packaged .vsix), then the `webgpu` package. */
export function dawnCandidates(): string[] {
  const out: string[] = [];
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  out.push(path.join(here, 'native', platformDir(), 'dawn.node'));
  out.push(path.join(here, '..', 'dist', 'native', platformDir(), 'dawn.node'));
  try {
    const pkg = require.resolve('webgpu/package.json');
    out.push(path.join(path.dirname(pkg), 'dist', platformDir(), 'dawn.node'));
  } catch {
    // not installed as a package (packaged extension): rely on the bundled copy
  }
  return out;
}


export function loadDawn(): DawnModule {
  if (cached) return cached;
  const tried = dawnCandidates();
  let lastError: unknown;
  for (const p of tried) {
    if (!fs.existsSync(p)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(p) as DawnModule;
      patchDestroyUnmaps(mod);
      Object.assign(globalThis, mod.globals);
      cached = mod;
      return mod;
    } catch (e) {
      lastError = e;
    }
  }
  throw new DawnNotFoundError(tried, lastError);
}

/**
 * dawn.node leaves mapped buffers mapped when their device is destroyed, which keeps their ArrayBuffers
 * attached; the `webgpu` package patches that in its ESM index, which we bypass, so we do the same here.
 */
function patchDestroyUnmaps(mod: DawnModule): void {
  const GPUDeviceCtor = mod.globals['GPUDevice'] as { prototype: Record<string | symbol, unknown> } | undefined;
  const proto = GPUDeviceCtor?.prototype;
  const mark = Symbol.for('selfextend.deviceDestroyUnmaps');
  if (!proto || proto[mark]) return;
  const buffersOf = new WeakMap<object, Set<WeakRef<GPUBuffer>>>();
  const createBuffer = proto['createBuffer'] as (this: GPUDevice, d: GPUBufferDescriptor) => GPUBuffer;
  const destroy = proto['destroy'] as (this: GPUDevice) => void;
  proto['createBuffer'] = function (this: GPUDevice, d: GPUBufferDescriptor): GPUBuffer {
    const b = createBuffer.call(this, d);
    if (d.mappedAtCreation || d.usage & 0x0001 /* MAP_READ */ || d.usage & 0x0002 /* MAP_WRITE */) {
      let set = buffersOf.get(this);
      if (!set) buffersOf.set(this, (set = new Set()));
      set.add(new WeakRef(b));
    }
    return b;
  };
  proto['destroy'] = function (this: GPUDevice): void {
    for (const ref of buffersOf.get(this) ?? []) {
      const b = ref.deref();
      if (b?.mapState === 'mapped') {
        try {
          b.unmap();
        } catch {
          // destroying anyway
        }
      }
    }
    buffersOf.delete(this);
    destroy.call(this);
  };
  proto[mark] = true;
}
