// Binds the forward pass's LinearOps to the linear-kernel module (gpu/kernels/linear): weight upload
// (quantized, split over bindings, streamed) plus mat-vec / mat-mul and embedding lookup.
import type { GpuContext } from '../device/gpu-device';
import type { GGMLType } from '../gguf/types';
import { uploadWeight, type GpuWeight } from '../kernels/linear/upload';
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

export function createLinearOps(ctx: GpuContext): LinearOps {
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
    encodeMatmul() {
      throw new Error('linear kernels not integrated yet');
    },
    encodeEmbedding() {
      throw new Error('linear kernels not integrated yet');
    },
  };
}
