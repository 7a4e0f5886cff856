// Model weights on the GPU. Matrices (embedding, projections, output) go through the linear-kernel
// module's uploader and stay quantized; the small 1-D tensors (norm weights, biases) are dequantized
// to f32 on the CPU and uploaded as plain storage buffers.
import type { GpuContext } from '../device/gpu-device';
import type { GGUFFile, GGUFTensorInfo } from '../gguf/types';
import { GGMLType } from '../gguf/types';
import type { ModelConfig } from '../model/types';
import { dequantize } from '../quant/index';
import { throwIfAborted } from './errors';
import type { PreparedDispatch } from '../kernels/common';

/** A weight matrix resident on the GPU ([nOut rows of nIn values], possibly split over buffers). */
export interface GpuMatrix {
  readonly name: string;
  readonly nIn: number;
  readonly nOut: number;
  /** GPU bytes held. */
  readonly bytes: number;
  destroy(): void;
}

/** What the forward pass needs from the linear-kernel module. */
export interface LinearOps {
  /** Uploads a 2-D tensor, streaming it from the file; onBytes reports file bytes consumed. */
  upload(file: GGUFFile, t: GGUFTensorInfo, onBytes: (n: number) => void, signal?: AbortSignal): Promise<GpuMatrix>;
  /**
   * y[t, :] = W · x[t, :] for t < nTokens (mat-vec for few tokens, tiled mat-mul otherwise);
   * with `add` the result is accumulated into y (fuses the residual connection).
   */
  encodeMatmul(enc: GPUCommandEncoder, w: GpuMatrix, x: GPUBuffer, y: GPUBuffer, nTokens: number, opts?: { add?: boolean }): void;
  /** out[t, :] = row ids[t] of W (dequantized to f32). */
  encodeEmbedding(enc: GPUCommandEncoder, w: GpuMatrix, ids: GPUBuffer, out: GPUBuffer, nTokens: number): void;
  /** The dispatches of encodeMatmul, resolved once (pipelines, parameters, bind groups) for replay. */
  prepareMatmul(w: GpuMatrix, x: GPUBuffer, y: GPUBuffer, nTokens: number, opts?: { add?: boolean; bias?: GPUBuffer; swigluGate?: GPUBuffer }): PreparedDispatch[];
  /** The dispatches of encodeEmbedding, resolved once for replay. */
  prepareEmbedding(w: GpuMatrix, ids: GPUBuffer, out: GPUBuffer, nTokens: number): PreparedDispatch[];
}

export interface LayerWeights {
  attnNorm: GPUBuffer;
  q: GpuMatrix;
  k: GpuMatrix;
  v: GpuMatrix;
  o: GpuMatrix;
  qBias?: GPUBuffer;
  kBias?: GPUBuffer;
  vBias?: GPUBuffer;
  qNorm?: GPUBuffer;
  kNorm?: GPUBuffer;
  ffnNorm: GPUBuffer;
  gate: GpuMatrix;
  up: GpuMatrix;
  down: GpuMatrix;
}

export interface ModelWeights {
  tokEmbd: GpuMatrix;
  /** output.weight, or token_embd.weight itself when the embeddings are tied. */
  output: GpuMatrix;
  outputNorm: GPUBuffer;
  layers: LayerWeights[];
  bytes: number;
  /** GPU bytes per tensor name (for bandwidth figures). */
  byTensor: Record<string, number>;
  destroy(): void;
}

/** Bytes of the file's tensors the loader streams (the progress total). */
export function totalTensorBytes(file: GGUFFile): number {
  return file.tensors.reduce((s, t) => s + (t.name === 'rope_freqs.weight' ? 0 : t.byteLength), 0);
}

export interface UploadProgress {
  onProgress?: (done: number, total: number, tensor: string) => void;
  signal?: AbortSignal;
}

export async function uploadWeights(ctx: GpuContext, file: GGUFFile, c: ModelConfig, linear: LinearOps, p: UploadProgress): Promise<ModelWeights> {
  const total = totalTensorBytes(file);
  let done = 0;
  const owned: Array<{ destroy(): void }> = [];
  let bytes = 0;
  const byTensor: Record<string, number> = {};
  const report = (name: string, n: number): void => {
    done += n;
    p.onProgress?.(done, total, name);
  };
  const need = (name: string): GGUFTensorInfo => {
    const t = file.tensor(name);
    if (!t) throw new Error(`tensor ${name} is missing`);
    return t;
  };
  const matrix = async (name: string): Promise<GpuMatrix> => {
    throwIfAborted(p.signal, 'Loading the model');
    const m = await linear.upload(file, need(name), (n) => report(name, n), p.signal);
    owned.push(m);
    bytes += m.bytes;
    byTensor[name] = m.bytes;
    return m;
  };
  const vector = async (name: string): Promise<GPUBuffer> => {
    throwIfAborted(p.signal, 'Loading the model');
    const t = need(name);
    const raw = await file.readTensorBytes(t);
    const f = t.type === GGMLType.F32 ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : dequantize(t.type as GGMLType, raw, t.nElements);
    const b = ctx.device.createBuffer({ label: name, size: Math.max(16, f.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    owned.push(b);
    byTensor[name] = b.size;
    ctx.device.queue.writeBuffer(b, 0, f.buffer as ArrayBuffer, f.byteOffset, f.byteLength);
    bytes += b.size;
    report(name, t.byteLength);
    return b;
  };
  try {
    const tokEmbd = await matrix('token_embd.weight');
    const layers: LayerWeights[] = [];
    for (let i = 0; i < c.nLayers; i++) {
      const b = `blk.${i}.`;
      const L: LayerWeights = {
        attnNorm: await vector(b + 'attn_norm.weight'),
        q: await matrix(b + 'attn_q.weight'),
        k: await matrix(b + 'attn_k.weight'),
        v: await matrix(b + 'attn_v.weight'),
        o: await matrix(b + 'attn_output.weight'),
        ffnNorm: await vector(b + 'ffn_norm.weight'),
        gate: await matrix(b + 'ffn_gate.weight'),
        up: await matrix(b + 'ffn_up.weight'),
        down: await matrix(b + 'ffn_down.weight'),
      };
      if (c.qkvBias) {
        L.qBias = await vector(b + 'attn_q.bias');
        L.kBias = await vector(b + 'attn_k.bias');
        L.vBias = await vector(b + 'attn_v.bias');
      }
      if (c.qkNorm) {
        L.qNorm = await vector(b + 'attn_q_norm.weight');
        L.kNorm = await vector(b + 'attn_k_norm.weight');
      }
      layers.push(L);
    }
    const outputNorm = await vector('output_norm.weight');
    const output = c.tiedEmbeddings ? tokEmbd : await matrix('output.weight');
    return {
      tokEmbd,
      output,
      outputNorm,
      layers,
      bytes,
      byTensor,
      destroy: () => owned.forEach((o) => o.destroy()),
    };
  } catch (e) {
    for (const o of owned) o.destroy();
    throw e;
  }
}
