// Streams a weight tensor from its source (a GGUF file) into GPU chunk buffers, repacking ggml blocks
// into the aligned layout described in layout.ts. Only one piece of rows (a few MiB) is held in JS
// memory at a time. Rows are split across several buffers when the tensor is larger than one
// storage binding may be (maxStorageBufferBindingSize, 128 MiB by default).
import type { GGMLType } from '../../gguf/types';
import type { GpuContext } from '../../device/gpu-device';
import { typeName } from '../../quant/layout';
import { CancelledError } from '../../engine/errors';
import { blocksPerRow, chunkSections, gpuBytesPerRow, gpuLayout, repackBlocks, type GpuTypeLayout } from './layout';
import { WeightAllocationError } from './errors';

export { WeightAllocationError };

export interface WeightInfo {
  name: string;
  type: GGMLType;
  /** ggml order: [nIn, nOut], i.e. nOut rows of nIn contiguous values. Extra trailing 1s are allowed. */
  dims: readonly number[];
}

export interface WeightChunk {
  buffer: GPUBuffer;
  /** First (global) row stored in this chunk. */
  rowStart: number;
  rows: number;
  /** Section offsets in u32 words (see layout.ts). */
  offX: number;
  offF: number;
}

export interface GpuWeight {
  readonly name: string;
  readonly type: GGMLType;
  readonly nIn: number;
  readonly nOut: number;
  readonly layout: GpuTypeLayout;
  /** Storage blocks per row (see layout.ts; 4/8-value blocks for float types). */
  readonly blocksPerRow: number;
  readonly chunks: readonly WeightChunk[];
  /** GPU bytes held (all chunk buffers). */
  readonly byteLength: number;
  destroy(): void;
}

export interface UploadOptions {
  /** Called after each piece is queued: bytes of this tensor done so far, and its total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
  /** Override the binding limit (tests use a tiny one to exercise splitting). */
  maxBindingSize?: number;
  /** Source bytes read per piece (default 8 MiB): bounds JS memory during the upload. */
  pieceBytes?: number;
}


function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof CancelledError ? r : new CancelledError('The weight upload was cancelled');
}

// readBytes may return views of shared or resizable memory; writeBuffer copies immediately either way.
function write(device: GPUDevice, buffer: GPUBuffer, offset: number, bytes: Uint8Array): void {
  device.queue.writeBuffer(buffer, offset, bytes as Uint8Array<ArrayBuffer>);
}

/** Row shape of a weight tensor from its ggml dims. */
export function weightShape(info: WeightInfo): { nIn: number; nOut: number } {
  const [nIn, nOut = 1, ...rest] = info.dims;
  if (rest.some((d) => d !== 1)) throw new Error(`${info.name}: expected a 2-D weight, got dims [${info.dims.join(', ')}]`);
  if (!(nIn > 0 && nOut > 0)) throw new Error(`${info.name}: empty weight (dims [${info.dims.join(', ')}])`);
  return { nIn, nOut };
}

/** How many rows each chunk holds (even, and a multiple of 64 when large, matching the mat-mul tile). */
export function rowsPerChunk(bytesPerRow: number, nOut: number, maxBinding: number): number {
  let rows = Math.floor((maxBinding - 64) / bytesPerRow);
  if (rows < 2) {
    throw new WeightAllocationError(
      `One weight row needs ${bytesPerRow} bytes, more than this GPU allows in one binding (${maxBinding} bytes)`,
      bytesPerRow,
    );
  }
  if (rows >= nOut) return nOut;
  rows = rows >= 64 ? rows - (rows % 64) : rows - (rows % 2);
  return rows;
}

export async function uploadWeight(
  ctx: GpuContext,
  info: WeightInfo,
  readBytes: (offset: number, length: number) => Promise<Uint8Array>,
  opts: UploadOptions = {},
): Promise<GpuWeight> {
  const { device } = ctx;
  const layout = gpuLayout(info.type);
  const { nIn, nOut } = weightShape(info);
  const nb = blocksPerRow(info.type, nIn);
  const srcRowBytes = nb * layout.srcBytes;
  const total = srcRowBytes * nOut;
  const maxBinding = Math.min(opts.maxBindingSize ?? Infinity, ctx.info.limits.maxStorageBufferBindingSize, ctx.info.limits.maxBufferSize);
  const perChunk = rowsPerChunk(gpuBytesPerRow(layout, nb), nOut, maxBinding);
  // Pieces hold an even number of rows so that every F-section write starts at an even block (4-byte aligned).
  let pieceRows = Math.max(2, Math.floor((opts.pieceBytes ?? 8 * 2 ** 20) / srcRowBytes));
  pieceRows -= pieceRows % 2;

  const chunks: WeightChunk[] = [];
  let allocated = 0;
  const destroyAll = (): void => {
    for (const c of chunks) c.buffer.destroy();
  };
  let done = 0;
  let sinceFlush = 0;
  try {
    for (let rowStart = 0; rowStart < nOut; rowStart += perChunk) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const rows = Math.min(perChunk, nOut - rowStart);
      const sec = chunkSections(layout, rows * nb);
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const buffer = device.createBuffer({
        label: `${info.name}[${rowStart}..${rowStart + rows})`,
        size: sec.bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      if (oom || validation) {
        buffer.destroy();
        throw new WeightAllocationError(
          `Out of GPU memory while uploading ${info.name} (${typeName(info.type)}, ${nOut}×${nIn}): a ${sec.bytes}-byte buffer could not be allocated ` +
            `after ${allocated} bytes for this tensor (${(oom ?? validation)?.message ?? ''}). Try a smaller quantization or model, or a shorter context.`,
          sec.bytes,
        );
      }
      chunks.push({ buffer, rowStart, rows, offX: sec.offX, offF: sec.offF });
      allocated += sec.bytes;
      for (let r = 0; r < rows; r += pieceRows) {
        if (opts.signal?.aborted) throw abortError(opts.signal);
        const n = Math.min(pieceRows, rows - r);
        const src = await readBytes((rowStart + r) * srcRowBytes, n * srcRowBytes);
        if (src.length !== n * srcRowBytes) {
          throw new Error(`${info.name}: short read at row ${rowStart + r} (${src.length} of ${n * srcRowBytes} bytes)`);
        }
        const p = repackBlocks(layout, src, n * nb);
        const g0 = r * nb;
        write(device, buffer, g0 * layout.wordsA * 4, p.a);
        if (p.x.length) write(device, buffer, (sec.offX + g0 * layout.wordsX) * 4, p.x);
        if (p.f.length) write(device, buffer, sec.offF * 4 + g0 * 2, p.f);
        done += src.length;
        sinceFlush += src.length;
        // Dawn stages writeBuffer data until the queue runs; waiting now and then bounds that staging memory.
        if (sinceFlush >= 64 * 2 ** 20) {
          sinceFlush = 0;
          await device.queue.onSubmittedWorkDone();
        }
        opts.onProgress?.(done, total);
      }
    }
  } catch (e) {
    destroyAll();
    throw e;
  }
  const byteLength = allocated;
  return {
    name: info.name,
    type: info.type,
    nIn,
    nOut,
    layout,
    blocksPerRow: nb,
    chunks,
    byteLength,
    destroy: destroyAll,
  };
}

/** Convenience for tests and small tensors already in memory. */
export function uploadWeightBytes(ctx: GpuContext, info: WeightInfo, bytes: Uint8Array, opts: UploadOptions = {}): Promise<GpuWeight> {
  return uploadWeight(ctx, info, async (offset, length) => bytes.subarray(offset, offset + length), opts);
}
