// The attention module: RoPE for q/k, the KV cache and the fused (SelfExtend) attention kernels.
//
// KV-cache strategy (see README.md): per layer, V plus TWO copies of K, both rotated once when stored:
// kN at the key's own position j (neighbour scores) and kG at ⌊j/G⌋ (grouped scores). The kernels then
// never compute sin/cos per key and each (query, key) pair costs one dot product whichever kind it is;
// the price is +50% KV memory. A request with a different G re-derives kG from kN in one cheap pass
// (regroup.wgsl), so the prefix cache stays reusable across G changes.
import type { GpuContext } from '../device/gpu-device';
import type {
  AttentionBatch,
  AttentionModule,
  AttentionOptions,
  AttentionShape,
  CreateAttention,
  SelfExtendParams,
  SplitKvOptions,
} from './types';
import { validateSelfExtend, SelfExtendParamsError } from './params';
import { ropeTable } from './rope';
import { bufferId } from '../kernels/common';
import { kvRowBytes, type KvCacheType } from './kv-layout';
import { getPipelines, KEYS_PER_TILE, PARAM_BYTES, ROWS_PER_WG, type AttentionPipelines } from './pipelines';

const RING_SLOTS = 256;
const MAX_WG_PER_DIM = 65535;

/** Per-batch values the kernels read from the uniform ring (layout = struct Params in the WGSL). */
interface BatchState {
  startPos: number;
  nTokens: number;
  offset: number;
  nSplits: number;
}

export interface SplitPlan {
  nSplits: number;
  splitLen: number;
}

/**
 * How many workgroups split the KV range for a batch (flash-decoding); 1 = no split. Decode runs one
 * workgroup per (query group of a KV head × split): splits are whole key tiles, and there are at least as
 * many as the workgroup target asks for (within minKeysPerSplit and maxSplits), so a 600-token decode on
 * a 2-KV-head model runs >= 8 workgroups per KV head instead of 2.
 */
export function planSplits(
  nTokens: number,
  totalKeys: number,
  rowWorkgroups: number,
  o: Required<SplitKvOptions>,
): SplitPlan {
  if (nTokens > o.maxTokens) return { nSplits: 1, splitLen: totalKeys };
  const want = Math.min(o.maxSplits, Math.floor(totalKeys / o.minKeysPerSplit), Math.ceil(o.targetWorkgroups / rowWorkgroups));
  if (want <= 1) return { nSplits: 1, splitLen: totalKeys };
  // Splits start on tile boundaries so a key tile never straddles two workgroups; rounding the tiles per
  // split down keeps at least `want` splits (capped by maxSplits).
  const tiles = Math.ceil(totalKeys / KEYS_PER_TILE);
  let tilesPerSplit = Math.max(1, Math.floor(tiles / want));
  if (Math.ceil(tiles / tilesPerSplit) > o.maxSplits) tilesPerSplit = Math.ceil(tiles / o.maxSplits);
  const splitLen = tilesPerSplit * KEYS_PER_TILE;
  return { nSplits: Math.ceil(totalKeys / splitLen), splitLen };
}

/** Bytes of one key copy (or of V) per layer for `capacity` positions. */
export function kvLayerBytes(shape: Pick<AttentionShape, 'nKvHeads' | 'headDim'>, capacity: number, type: KvCacheType): number {
  return capacity * shape.nKvHeads * kvRowBytes(shape.headDim, type);
}

export class SelfExtendAttention implements AttentionModule {
  readonly shape: AttentionShape;
  readonly kvCacheType: KvCacheType;
  private readonly device: GPUDevice;
  private readonly pipes: AttentionPipelines;
  /** Per layer [nKvHeads][capacity][headDim]: kN rotated at j, kG at ⌊j/G⌋ (only while a request uses G > 1). */
  private kN: GPUBuffer[] = [];
  private kG: GPUBuffer[] = [];
  private vC: GPUBuffer[] = [];
  private rope: GPUBuffer;
  private readonly ring: GPUBuffer;
  private readonly part: GPUBuffer;
  /** Bound in place of kG when the module holds no grouped copy (plain attention never reads it). */
  private readonly noGrouped: GPUBuffer;
  private readonly split: Required<SplitKvOptions>;
  private readonly ropeDim: number;
  private readonly maxBinding: number;
  private cap: number;
  private ringSlot = 0;
  private cur: BatchState | undefined;
  private bindGroups = new Map<string, GPUBindGroup>();
  /** Positions [0, validLength) hold keys/values of the last requests. */
  private validLength = 0;
  /** kG holds keys rotated at ⌊j/groupedG⌋ for positions [0, groupedUntil). */
  private groupedG = 0;
  private groupedUntil = 0;
  private disposed = false;
  private readonly fixedBytes: number;

  constructor(ctx: GpuContext, shape: AttentionShape, opts: AttentionOptions) {
    this.device = ctx.device;
    this.shape = shape;
    const { nHeads, nKvHeads, headDim, capacity } = shape;
    this.checkCapacity(capacity);
    const wanted: KvCacheType = opts.kvCacheType ?? (opts.kvF16 ? 'f16' : 'f32');
    this.kvCacheType = wanted === 'f16' && !ctx.info.features.shaderF16 ? 'f32' : wanted;
    const ropeDim = shape.rope.dim > 0 ? shape.rope.dim : headDim;
    if (nHeads % nKvHeads !== 0) throw new Error(`attention: ${nHeads} heads are not a multiple of ${nKvHeads} KV heads`);
    if (ropeDim % 2 !== 0 || ropeDim > headDim) throw new Error(`attention: rope dim ${ropeDim} must be even and <= head dim ${headDim}`);
    this.ropeDim = ropeDim;
    this.pipes = getPipelines(this.device, { headDim, kvCacheType: this.kvCacheType });
    this.split = {
      maxTokens: opts.splitKv?.maxTokens ?? 16,
      minKeysPerSplit: opts.splitKv?.minKeysPerSplit ?? 64,
      maxSplits: opts.splitKv?.maxSplits ?? 32,
      targetWorkgroups: opts.splitKv?.targetWorkgroups ?? (ctx.info.isSoftware ? 16 : 128),
    };
    this.maxBinding = Math.min(ctx.info.limits.maxStorageBufferBindingSize, ctx.info.limits.maxBufferSize);
    this.checkBinding(capacity);
    const partBytes = Math.max(16, this.split.maxSplits * this.split.maxTokens * nHeads * (headDim + 4) * 4);
    this.fixedBytes = 256 * RING_SLOTS + partBytes + 16;
    this.ring = this.device.createBuffer({ label: 'attn.params', size: 256 * RING_SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.part = this.device.createBuffer({ label: 'attn.partials', size: partBytes, usage: GPUBufferUsage.STORAGE });
    this.noGrouped = this.device.createBuffer({ label: 'kv.k.grouped.none', size: 16, usage: GPUBufferUsage.STORAGE });
    this.cap = capacity;
    this.leanKeys = opts.leanKeys ?? false;
    this.kN = this.layerBuffers('kv.k', capacity);
    this.vC = this.layerBuffers('kv.v', capacity);
    this.rope = this.ropeBuffer(capacity);
    this.device.queue.writeBuffer(this.rope, 0, ropeTable({ ...shape.rope, dim: ropeDim }, capacity));
  }

  /**
   * Memory-lean SelfExtend: with G > 1 and no grouped key copy, the attention kernel rotates each key
   * from j to ⌊j/G⌋ on the fly (one key copy: 2/3 of the two-copy KV memory, more work per grouped pair).
   */
  leanKeys: boolean;

  /** store/regroup invocations per cache row: one per rotation pair, or one per row for q8_0 (block scales). */
  private get invocationsPerRow(): number {
    return this.kvCacheType === 'q8_0' ? 1 : this.shape.headDim / 2;
  }

  /** Whether K/V are stored as f16 (kept for callers that predate kvCacheType). */
  get kvF16(): boolean {
    return this.kvCacheType === 'f16';
  }

  /** Positions the KV cache holds now ({@link reserve} changes it). */
  get capacity(): number {
    return this.cap;
  }

  /** Whether the cache currently holds a grouped key copy (SelfExtend's second rotation). */
  get hasGroupedCopy(): boolean {
    return this.kG.length > 0;
  }

  get memoryBytes(): number {
    const layer = kvLayerBytes(this.shape, this.cap, this.kvCacheType);
    return this.shape.nLayers * layer * (2 + (this.hasGroupedCopy ? 1 : 0)) + this.cap * (this.ropeDim / 2) * 8 + this.fixedBytes;
  }

  /**
   * Resizes the cache to `capacity` positions (grow-and-copy or shrink), keeping the cached prefix that
   * still fits, and adds or drops the grouped key copy (`grouped`). Out-of-memory is caught: it resolves
   * false and the cache is as it was. Call it only when no recorded batch waits to be submitted.
   */
  async reserve(capacity: number, grouped: boolean): Promise<boolean> {
    this.checkLive();
    this.checkCapacity(capacity);
    this.checkBinding(capacity);
    if (capacity === this.cap && grouped === this.hasGroupedCopy) return true;
    const sameSize = capacity === this.cap;
    // Allocate first, inside an out-of-memory scope; copy only once everything exists.
    this.device.pushErrorScope('out-of-memory');
    const kN = sameSize ? this.kN : this.layerBuffers('kv.k', capacity);
    const vC = sameSize ? this.vC : this.layerBuffers('kv.v', capacity);
    const kG = !grouped ? [] : sameSize && this.hasGroupedCopy ? this.kG : this.layerBuffers('kv.k.grouped', capacity);
    const rope = sameSize ? this.rope : this.ropeBuffer(capacity);
    const made = [...(sameSize ? [] : [...kN, ...vC, rope]), ...(kG !== this.kG ? kG : [])];
    const oom = await this.device.popErrorScope();
    if (oom) {
      for (const b of made) b.destroy();
      return false;
    }
    const keep = Math.min(this.validLength, capacity);
    const keepGrouped = kG.length > 0 && this.hasGroupedCopy ? Math.min(this.groupedUntil, keep) : 0;
    if (!sameSize) {
      const enc = this.device.createCommandEncoder({ label: 'kv.resize' });
      const rowBytes = (this.ropeDim / 2) * 8;
      const from = Math.min(this.cap, capacity);
      enc.copyBufferToBuffer(this.rope, 0, rope, 0, from * rowBytes);
      if (capacity > from) this.device.queue.writeBuffer(rope, from * rowBytes, ropeTable({ ...this.shape.rope, dim: this.ropeDim }, capacity, from));
      this.copyRows(enc, this.kN, kN, capacity, keep);
      this.copyRows(enc, this.vC, vC, capacity, keep);
      if (keepGrouped > 0) this.copyRows(enc, this.kG, kG, capacity, keepGrouped);
      this.device.queue.submit([enc.finish()]);
    }
    // Buffers still used by submitted work are freed by the implementation once that work is done.
    const gone = [...(sameSize ? [] : [...this.kN, ...this.vC, this.rope]), ...(kG !== this.kG ? this.kG : [])];
    for (const b of gone) b.destroy();
    this.kN = kN;
    this.vC = vC;
    this.kG = kG;
    this.rope = rope;
    this.cap = capacity;
    this.validLength = keep;
    this.groupedUntil = keepGrouped;
    this.bindGroups.clear();
    return true;
  }

  /** Copies positions [0, keep) of every (layer, KV head) from a cache of this.cap positions to one of `capacity`. */
  private copyRows(enc: GPUCommandEncoder, from: GPUBuffer[], to: GPUBuffer[], capacity: number, keep: number): void {
    if (keep === 0) return;
    const row = kvRowBytes(this.shape.headDim, this.kvCacheType);
    for (let l = 0; l < this.shape.nLayers; l++) {
      for (let h = 0; h < this.shape.nKvHeads; h++) enc.copyBufferToBuffer(from[l], h * this.cap * row, to[l], h * capacity * row, keep * row);
    }
  }

  private layerBuffers(label: string, capacity: number): GPUBuffer[] {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const size = Math.max(16, kvLayerBytes(this.shape, capacity, this.kvCacheType));
    return Array.from({ length: this.shape.nLayers }, (_, l) => this.device.createBuffer({ label: `${label}.${l}`, size, usage }));
  }

  /** An empty cos/sin table for `capacity` positions (rows are written by the caller). */
  private ropeBuffer(capacity: number): GPUBuffer {
    const size = Math.max(16, capacity * (this.ropeDim / 2) * 8);
    return this.device.createBuffer({ label: 'rope.table', size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  private checkCapacity(capacity: number): void {
    if (!(capacity > 0) || !Number.isInteger(capacity)) throw new Error(`attention: KV capacity must be a positive integer (got ${capacity})`);
  }

  private checkBinding(capacity: number): void {
    const layerBytes = kvLayerBytes(this.shape, capacity, this.kvCacheType);
    if (layerBytes > this.maxBinding) {
      throw new Error(
        `attention: one layer's keys need ${(layerBytes / 2 ** 20).toFixed(1)} MiB but the device binds at most ` +
          `${(this.maxBinding / 2 ** 20).toFixed(0)} MiB per buffer; use a shorter context (capacity ${capacity}).`,
      );
    }
  }

  beginBatch(startPos: number, nTokens: number, se: SelfExtendParams): void {
    this.checkLive();
    validateSelfExtend(se, this.shape.trainedContext);
    const { nHeads, nKvHeads } = this.shape;
    const capacity = this.cap;
    if (!Number.isInteger(startPos) || startPos < 0 || !Number.isInteger(nTokens) || nTokens < 1) {
      throw new Error(`attention: bad batch (startPos ${startPos}, nTokens ${nTokens})`);
    }
    if (startPos + nTokens > capacity) {
      throw new Error(`attention: positions up to ${startPos + nTokens} exceed the KV-cache capacity of ${capacity} tokens (reserve() grows it)`);
    }
    if (startPos > this.validLength) {
      throw new Error(`attention: batch starts at ${startPos} but only ${this.validLength} positions are cached`);
    }
    const rowWgs = Math.ceil((nTokens * (nHeads / nKvHeads)) / ROWS_PER_WG);
    if (rowWgs > MAX_WG_PER_DIM) {
      throw new Error(`attention: a batch of ${nTokens} tokens is too large for one dispatch; use a smaller prefill chunk`);
    }
    const g = se.groupSize;
    const useSe = g > 1;
    const lean = useSe && this.leanKeys;
    if (lean) {
      // Keys are rotated to ⌊j/G⌋ in the kernel: a grouped copy (if any) is neither read nor kept current.
      this.groupedUntil = Math.min(this.groupedUntil, startPos);
    } else if (useSe) {
      // Direct users (tests, benches) may skip reserve(): the grouped copy is then made here.
      if (!this.hasGroupedCopy) this.kG = this.layerBuffers('kv.k.grouped', capacity);
      this.ensureGrouped(g, startPos);
      this.groupedUntil = startPos + nTokens;
    } else {
      this.groupedUntil = Math.min(this.groupedUntil, startPos);
    }
    this.validLength = startPos + nTokens;

    const plan = planSplits(nTokens, startPos + nTokens, rowWgs * nKvHeads, this.split);
    const offset = this.writeParams([startPos, nTokens, Math.max(1, g), useSe ? se.neighborWindow : 0, useSe ? 1 : 0, plan.nSplits, plan.splitLen], lean);
    this.cur = { startPos, nTokens, offset, nSplits: plan.nSplits };
  }

  encodeLayer(encoder: GPUCommandEncoder | GPUComputePassEncoder, batch: AttentionBatch): void {
    this.checkLive();
    const cur = this.cur;
    if (!cur || cur.startPos !== batch.startPos || cur.nTokens !== batch.nTokens) {
      throw new Error('attention: call beginBatch(startPos, nTokens, se) for this batch before encodeLayer');
    }
    const { nHeads, nKvHeads, headDim, nLayers } = this.shape;
    const l = batch.layer;
    if (!(l >= 0 && l < nLayers)) throw new Error(`attention: layer ${l} out of range 0..${nLayers - 1}`);
    const own = !('dispatchWorkgroups' in encoder);
    const pass = own ? encoder.beginComputePass({ label: `attention.${l}` }) : encoder;

    pass.setPipeline(this.pipes.store);
    pass.setBindGroup(0, this.bindGroup(this.pipes.storeLayout, [this.ring, batch.k, batch.v, this.kN[l], this.vC[l], this.rope, this.kG[l] ?? this.noGrouped]), [cur.offset]);
    const storeWgs = Math.ceil((cur.nTokens * nKvHeads * this.invocationsPerRow) / 64);
    const sx = Math.min(storeWgs, MAX_WG_PER_DIM);
    pass.dispatchWorkgroups(sx, Math.ceil(storeWgs / sx));

    pass.setPipeline(this.pipes.attend);
    pass.setBindGroup(0, this.bindGroup(this.pipes.attendLayout, [this.ring, batch.q, this.kN[l], this.vC[l], this.rope, batch.out, this.part, this.kG[l] ?? this.noGrouped]), [cur.offset]);
    const rowWgs = Math.ceil((cur.nTokens * (nHeads / nKvHeads)) / ROWS_PER_WG);
    pass.dispatchWorkgroups(rowWgs, nKvHeads, cur.nSplits);

    if (cur.nSplits > 1) {
      pass.setPipeline(this.pipes.reduce);
      pass.setBindGroup(0, this.bindGroup(this.pipes.reduceLayout, [this.ring, this.part, batch.out]), [cur.offset]);
      pass.dispatchWorkgroups(cur.nTokens * nHeads);
    }
    if (own) pass.end();
  }

  canReuse(length: number, se: SelfExtendParams): boolean {
    if (this.disposed) return false;
    try {
      validateSelfExtend(se, this.shape.trainedContext);
    } catch (e) {
      if (e instanceof SelfExtendParamsError) return false;
      throw e;
    }
    // The grouped copy is re-derived for a new G in beginBatch, so any cached prefix stays usable.
    return length <= this.validLength;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.destroyBuffers();
    this.bindGroups.clear();
  }

  /** Brings kG to group size g for positions [0, upTo), re-rotating from kN what is missing. */
  private ensureGrouped(g: number, upTo: number): void {
    const from = this.groupedG === g ? Math.min(this.groupedUntil, upTo) : 0;
    this.groupedG = g;
    this.groupedUntil = upTo;
    if (from >= upTo) return;
    const { nLayers, nKvHeads, headDim } = this.shape;
    const offset = this.writeParams([from, upTo - from, g, 0, 1, 1, 0]);
    const enc = this.device.createCommandEncoder({ label: 'attention.regroup' });
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipes.regroup);
    const wgs = Math.ceil(((upTo - from) * nKvHeads * this.invocationsPerRow) / 64);
    const x = Math.min(wgs, MAX_WG_PER_DIM);
    for (let l = 0; l < nLayers; l++) {
      pass.setBindGroup(0, this.bindGroup(this.pipes.regroupLayout, [this.ring, this.kN[l], this.rope, this.kG[l]]), [offset]);
      pass.dispatchWorkgroups(x, Math.ceil(wgs / x));
    }
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /**
   * Each batch gets its own 256-byte slot, so an engine that records several batches into one command
   * buffer before submitting still gives every dispatch its own parameters.
   */
  private writeParams(batch: number[], lean = false): number {
    const offset = this.ringSlot * 256;
    this.ringSlot = (this.ringSlot + 1) % RING_SLOTS;
    const { nHeads, nKvHeads, headDim, rope } = this.shape;
    const p = new Uint32Array(PARAM_BYTES / 4);
    p.set(batch);
    p.set([this.cap, nHeads, nKvHeads, this.ropeDim / 2, rope.layout === 'neox' ? 1 : 0, headDim / 4, lean ? 1 : 0], 7);
    this.device.queue.writeBuffer(this.ring, offset, p);
    return offset;
  }

  private bindGroup(layout: GPUBindGroupLayout, buffers: GPUBuffer[]): GPUBindGroup {
    const key = `${layout.label}:${buffers.map((b) => bufferId(b)).join(',')}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroups.size > 512) this.bindGroups.clear(); // engines that reallocate scratch buffers
      bg = this.device.createBindGroup({
        layout,
        entries: buffers.map((buffer, binding) => ({
          binding,
          resource: binding === 0 ? { buffer, size: PARAM_BYTES } : { buffer },
        })),
      });
      this.bindGroups.set(key, bg);
    }
    return bg;
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('attention: module used after dispose()');
  }

  private destroyBuffers(): void {
    for (const b of [...this.kN, ...this.kG, ...this.vC, this.rope, this.ring, this.part, this.noGrouped]) b?.destroy();
    this.kN = [];
    this.kG = [];
    this.vC = [];
  }
}

export const createAttention: CreateAttention = (ctx, shape, opts) => new SelfExtendAttention(ctx, shape, opts);
