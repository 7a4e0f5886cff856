// The transformer forward pass for llama / qwen2 / qwen3, recorded for one chunk of consecutive
// tokens into a single command encoder:
//   embedding -> per layer [RMSNorm -> q,k,v (+bias) -> q/k RMSNorm (qwen3) -> attention (RoPE, KV
//   cache; gpu/attention) -> output projection + residual -> RMSNorm -> gate/up -> SwiGLU -> down +
//   residual] -> final RMSNorm -> logits (last row only, or every row for teacher forcing).
// Activation buffers are allocated once, sized for the largest chunk.
//
// Two recordings of the same kernels (bit-identical results):
//   'prepared' (default): the whole forward is one compute pass (barriers between dispatches are implicit
//     in a pass); its dispatch list is resolved once per (chunk size, logits mode) and replayed by
//     reference, so a step costs setPipeline/setBindGroup/dispatch per kernel and one write of the ids;
//   'per-kernel': every kernel in a pass of its own with pipelines and bind groups looked up per call
//     (the engine's original recording, kept for `bench --profile`'s A/B).
import type { GpuContext } from '../device/gpu-device';
import type { ModelConfig } from '../model/types';
import type { AttentionModule, SelfExtendParams } from '../attention/types';
import { BlockKernels } from '../kernels/block-kernels';
import { UniformArena, recordPrepared, type PreparedDispatch } from '../kernels/common';
import type { LinearOps, ModelWeights } from './weights';

export type LogitsMode = 'last' | 'all' | 'none';
export type RecordingMode = 'prepared' | 'per-kernel';

/** A forward's dispatch list for one (chunk size, logits mode): prepared dispatches, and attention layers (recorded live: their parameters change per step). */
interface Plan {
  ops: Array<PreparedDispatch[] | number>;
  /** Uniform buffers the plan's dispatches bind. */
  owned: GPUBuffer[];
}
const MAX_PLANS = 8;

export class Forward {
  readonly arena: UniformArena;
  private readonly k: BlockKernels;
  private readonly bufs: GPUBuffer[] = [];
  private readonly ids: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly xn: GPUBuffer;
  private readonly q: GPUBuffer;
  private readonly kk: GPUBuffer;
  private readonly v: GPUBuffer;
  private readonly qn: GPUBuffer;
  private readonly kn: GPUBuffer;
  private readonly att: GPUBuffer;
  private readonly gate: GPUBuffer;
  private readonly up: GPUBuffer;
  /** [logitsRows, vocab] f32; row r holds the logits of the r-th requested position. */
  readonly logits: GPUBuffer;
  recording: RecordingMode = 'prepared';
  private readonly plans = new Map<string, Plan>();

  constructor(
    private readonly ctx: GpuContext,
    private readonly c: ModelConfig,
    private readonly w: ModelWeights,
    private readonly attention: AttentionModule,
    private readonly linear: LinearOps,
    readonly maxChunk: number,
    readonly logitsRows: number,
  ) {
    const d = ctx.device;
    this.arena = new UniformArena(d);
    this.k = new BlockKernels(d, this.arena);
    const q = c.nHeads * c.headDim;
    const kv = c.nKvHeads * c.headDim;
    const mk = (label: string, floats: number): GPUBuffer => {
      const b = d.createBuffer({ label, size: Math.max(16, floats * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.bufs.push(b);
      return b;
    };
    const C = maxChunk;
    this.ids = mk('fwd.ids', C);
    this.x = mk('fwd.x', C * c.embeddingDim);
    this.xn = mk('fwd.xn', C * c.embeddingDim);
    this.q = mk('fwd.q', C * q);
    this.qn = c.qkNorm ? mk('fwd.qn', C * q) : this.q;
    this.att = mk('fwd.att', C * q);
    this.kk = mk('fwd.k', C * kv);
    this.kn = c.qkNorm ? mk('fwd.kn', C * kv) : this.kk;
    this.v = mk('fwd.v', C * kv);
    this.gate = mk('fwd.gate', C * c.ffnDim);
    this.up = mk('fwd.up', C * c.ffnDim);
    this.logits = mk('fwd.logits', logitsRows * c.vocabSize);
  }

  /**
   * Records the forward pass of `ids` at positions startPos.. into `enc`. Logits land in
   * `this.logits`: row 0 for mode 'last', rows 0..n-1 for 'all' (n must be <= logitsRows).
   * The caller flushes the arena before submitting and resets it afterwards.
   */
  encode(enc: GPUCommandEncoder, ids: readonly number[], startPos: number, se: SelfExtendParams, mode: LogitsMode): void {
    const n = ids.length;
    if (n < 1 || n > this.maxChunk) throw new Error(`forward: chunk of ${n} tokens (1..${this.maxChunk} allowed)`);
    if (mode === 'all' && n > this.logitsRows) throw new Error(`forward: ${n} logit rows requested, buffer holds ${this.logitsRows}`);
    if (this.recording === 'per-kernel') {
      this.encodePerKernel(enc, ids, startPos, se, mode);
      return;
    }
    this.ctx.device.queue.writeBuffer(this.ids, 0, Uint32Array.from(ids));
    this.encodeReplay(enc, n, startPos, se, mode);
  }

  /**
   * A decode step whose token id is not on the CPU yet: it is copied from `src` (the sampler's output of
   * the previous step) on the queue, so this step can be recorded and submitted before that id is read back.
   */
  encodeFromGpuId(enc: GPUCommandEncoder, src: GPUBuffer, startPos: number, se: SelfExtendParams): void {
    enc.copyBufferToBuffer(src, 0, this.ids, 0, 4);
    this.encodeReplay(enc, 1, startPos, se, 'last');
  }

  /** Records the prepared dispatch list of (n, mode) as one compute pass; the ids are already in this.ids. */
  private encodeReplay(enc: GPUCommandEncoder, n: number, startPos: number, se: SelfExtendParams, mode: LogitsMode): void {
    this.attention.beginBatch(startPos, n, se);
    const plan = this.plan(n, mode);
    const pass = enc.beginComputePass({ label: 'forward' });
    for (const op of plan.ops) {
      if (typeof op === 'number') {
        this.attention.encodeLayer(pass, { layer: op, startPos, nTokens: n, q: this.qn, k: this.kn, v: this.v, out: this.att });
      } else recordPrepared(pass, op);
    }
    pass.end();
  }

  /**
   * The dispatch list of a forward over n tokens: encodePerKernel's kernels in the same order, with the
   * q/k/v bias adds and SwiGLU fused into the mat-vec/mat-mul epilogues (the same f32 operations).
   */
  private plan(n: number, mode: LogitsMode): Plan {
    const key = `${n}:${mode}`;
    const hit = this.plans.get(key);
    if (hit) return hit;
    const c = this.c;
    const E = c.embeddingDim;
    const eps = c.normEps;
    const lin = this.linear;
    const k = this.k;
    const owned: GPUBuffer[] = [];
    const ops: Plan['ops'] = [];
    ops.push(lin.prepareEmbedding(this.w.tokEmbd, this.ids, this.x, n));
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.w.layers[l];
      ops.push(k.prepareRmsNorm({ x: this.x, w: L.attnNorm, y: this.xn, rows: n, dim: E, eps }, owned));
      // q/k/v biases fused into the projections' epilogue (same f32 add as biasAdd).
      ops.push(lin.prepareMatmul(L.q, this.xn, this.q, n, { bias: L.qBias }));
      ops.push(lin.prepareMatmul(L.k, this.xn, this.kk, n, { bias: L.kBias }));
      ops.push(lin.prepareMatmul(L.v, this.xn, this.v, n, { bias: L.vBias }));
      if (L.qNorm && L.kNorm) {
        ops.push(k.prepareRmsNorm({ x: this.q, w: L.qNorm, y: this.qn, rows: n * c.nHeads, dim: c.headDim, eps }, owned));
        ops.push(k.prepareRmsNorm({ x: this.kk, w: L.kNorm, y: this.kn, rows: n * c.nKvHeads, dim: c.headDim, eps }, owned));
      }
      ops.push(l);
      ops.push(lin.prepareMatmul(L.o, this.att, this.x, n, { add: true }));
      ops.push(k.prepareRmsNorm({ x: this.x, w: L.ffnNorm, y: this.xn, rows: n, dim: E, eps }, owned));
      // SwiGLU fused into the up projection's epilogue: up = silu(gate) * (W_up · xn).
      ops.push(lin.prepareMatmul(L.gate, this.xn, this.gate, n));
      ops.push(lin.prepareMatmul(L.up, this.xn, this.up, n, { swigluGate: this.gate }));
      ops.push(lin.prepareMatmul(L.down, this.up, this.x, n, { add: true }));
    }
    if (mode !== 'none') {
      const rows = mode === 'all' ? n : 1;
      const xOff = mode === 'all' ? 0 : (n - 1) * E;
      ops.push(k.prepareRmsNorm({ x: this.x, w: this.w.outputNorm, y: this.xn, rows, dim: E, eps, xOff }, owned));
      ops.push(lin.prepareMatmul(this.w.output, this.xn, this.logits, rows));
    }
    const plan: Plan = { ops, owned };
    if (this.plans.size >= MAX_PLANS) {
      // Prefill chunks of many sizes: drop the oldest plan (buffers in flight stay valid until the GPU is done).
      const [oldKey, old] = this.plans.entries().next().value as [string, Plan];
      this.plans.delete(oldKey);
      for (const b of old.owned) b.destroy();
    }
    this.plans.set(key, plan);
    return plan;
  }

  /** The original recording: one pass per kernel, lookups per call (bench A/B only). */
  private encodePerKernel(enc: GPUCommandEncoder, ids: readonly number[], startPos: number, se: SelfExtendParams, mode: LogitsMode): void {
    const n = ids.length;
    const c = this.c;
    const E = c.embeddingDim;
    const qd = c.nHeads * c.headDim;
    const kvd = c.nKvHeads * c.headDim;
    const F = c.ffnDim;
    const eps = c.normEps;
    const lin = this.linear;
    const k = this.k;
    this.ctx.device.queue.writeBuffer(this.ids, 0, Uint32Array.from(ids));
    this.attention.beginBatch(startPos, n, se);
    lin.encodeEmbedding(enc, this.w.tokEmbd, this.ids, this.x, n);
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.w.layers[l];
      k.rmsNorm(enc, { x: this.x, w: L.attnNorm, y: this.xn, rows: n, dim: E, eps });
      lin.encodeMatmul(enc, L.q, this.xn, this.q, n);
      lin.encodeMatmul(enc, L.k, this.xn, this.kk, n);
      lin.encodeMatmul(enc, L.v, this.xn, this.v, n);
      if (L.qBias) k.biasAdd(enc, this.q, L.qBias, n * qd, qd);
      if (L.kBias) k.biasAdd(enc, this.kk, L.kBias, n * kvd, kvd);
      if (L.vBias) k.biasAdd(enc, this.v, L.vBias, n * kvd, kvd);
      if (L.qNorm && L.kNorm) {
        k.rmsNorm(enc, { x: this.q, w: L.qNorm, y: this.qn, rows: n * c.nHeads, dim: c.headDim, eps });
        k.rmsNorm(enc, { x: this.kk, w: L.kNorm, y: this.kn, rows: n * c.nKvHeads, dim: c.headDim, eps });
      }
      this.attention.encodeLayer(enc, { layer: l, startPos, nTokens: n, q: this.qn, k: this.kn, v: this.v, out: this.att });
      lin.encodeMatmul(enc, L.o, this.att, this.x, n, { add: true }); // residual fused into the projection
      k.rmsNorm(enc, { x: this.x, w: L.ffnNorm, y: this.xn, rows: n, dim: E, eps });
      lin.encodeMatmul(enc, L.gate, this.xn, this.gate, n);
      lin.encodeMatmul(enc, L.up, this.xn, this.up, n);
      k.swiglu(enc, this.gate, this.up, n * F);
      lin.encodeMatmul(enc, L.down, this.gate, this.x, n, { add: true });
    }
    if (mode === 'none') return;
    const rows = mode === 'all' ? n : 1;
    const xOff = mode === 'all' ? 0 : (n - 1) * E;
    k.rmsNorm(enc, { x: this.x, w: this.w.outputNorm, y: this.xn, rows, dim: E, eps, xOff });
    lin.encodeMatmul(enc, this.w.output, this.xn, this.logits, rows);
  }

  destroy(): void {
    for (const p of this.plans.values()) for (const b of p.owned) b.destroy();
    this.plans.clear();
    for (const b of this.bufs) b.destroy();
    this.arena.destroy();
  }
}
