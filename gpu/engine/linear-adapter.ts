// Binds the forward pass's LinearOps to the linear-kernel module (gpu/kernels/linear): weight upload
// (quantized, split over bindings, streamed) plus mat-vec / mat-mul and embedding lookup.
import type { GpuContext } from '../device/gpu-device';
import type { GGMLType } from '../gguf/types';
import { LinearKernels, uploadWeight, type GpuWeight } from '../kernels/linear/index';
import type { GpuMatrix, LinearOps } from './weights';

class Matrix implements GpuMatrix {
  constructor(readonly w: GpuWeight) {}
  get name(): string {
    return this.w.name;
  }
  get nIn(): number {
    return this.w.nIn;
  }
  get nOut(): number {
    return this.w.nOut;
  }
  get bytes(): number {
    return this.w.byteLength;
  }
  destroy(): void {
    this.w.destroy();
  }
}

function weightOf(m: GpuMatrix): GpuWeight {
  if (!(m instanceof Matrix)) throw new Error(`weight ${m.name} was not uploaded by the linear module`);
  return m.w;
}

export function createLinearOps(ctx: GpuContext): LinearOps {
  const lk = new LinearKernels(ctx);
  return {
    async upload(file, t, onBytes, signal) {
      let last = 0;
      const w = await uploadWeight(ctx, { name: t.name, type: t.type as GGMLType, dims: t.dims }, (off, len) => file.readTensorBytes(t, off, len), {
        signal,
        onProgress: (done) => {
          onBytes(done - last);
          last = done;
        },
      });
      return new Matrix(w);
    },
    encodeMatmul(enc, w, x, y, nTokens, opts) {
      lk.encodeMatVec(enc, weightOf(w), x, y, nTokens, { add: opts?.add });
    },
    encodeEmbedding(enc, w, ids, out, nTokens) {
      lk.encodeEmbedding(enc, weightOf(w), ids, out, nTokens);
    },
    prepareMatmul(w, x, y, nTokens, opts) {
      return lk.prepareMatVec(weightOf(w), x, y, nTokens, { add: opts?.add, bias: opts?.bias, swigluGate: opts?.swigluGate });
    },
    prepareEmbedding(w, ids, out, nTokens) {
      return lk.prepareEmbedding(weightOf(w), ids, out, nTokens);
    },
  };
}
