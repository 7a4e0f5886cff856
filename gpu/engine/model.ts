// The Model the CLI and the extension use: generation with prefix reuse, teacher-forced logits,
// request queueing and recovery from a lost GPU device.
//
// Concurrency: requests are QUEUED, one at a time, in call order (a second generate() waits until the
// first finishes, is aborted, or its iterator is closed); the KV cache is only touched by the request
// holding the lock, so it is never corrupted. Consumers must drain or `return()` their iterator.
import type { DeviceInfo } from '../device/gpu-device';
import type { GGUFFile } from '../gguf/types';
import type { ModelConfig } from '../model/types';
import type { ChatMessage, Tokenizer } from '../tokenizer/types';
import type { SelfExtendParams } from '../attention/types';
import { resolveSampling, stepSeed } from '../sampling/gpu-sampler';
import { StopStringMatcher } from './stop-strings';
import { ReadbackPacer } from './readback-pacer';
import { DeviceLostError, ModelDisposedError, OutOfMemoryError } from './errors';
import { kvCapacityFor, outOfMemoryMessage } from './memory';
import type { Session } from './session';
import type { StepKind, StepProfiler } from './profile';
import type { RecordingMode } from './forward';
import { NonFiniteLogitsError } from '../sampling/gpu-sampler';
import type { FinishReason, GenerateChunk, GenerateOptions, LoadOptions, Model } from './types';

const PLAIN: SelfExtendParams = { groupSize: 1, neighborWindow: 0 };
/** Answer tokens the KV cache is sized for up front when a request sets no maxTokens (it grows past them). */
const ANSWER_RESERVE = 256;

export interface ModelDeps {
  path: string;
  config: ModelConfig;
  tokenizer: Tokenizer;
  loadOptions: LoadOptions;
  /** Opens the file again and loads a fresh session (after a device loss). */
  reload: () => Promise<Session>;
  encodeChat: (messages: ChatMessage[], addGenerationPrompt: boolean) => number[];
}

export class GpuModel implements Model {
  readonly path: string;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  private session: Session | null;
  private deviceInfo: DeviceInfo;
  private cache: number[] = [];
  private lock: Promise<void> = Promise.resolve();
  private disposed = false;
  /** Times the session was reloaded after a device loss (observable in tests). */
  reloads = 0;
  private readonly pacer = new ReadbackPacer();
  private recordingMode: RecordingMode = 'prepared';
  /** Benchmark hooks around each recorded step (`bench --profile`); null in normal use. */
  profiler: StepProfiler | null = null;

  constructor(private readonly deps: ModelDeps, session: Session) {
    this.path = deps.path;
    this.config = deps.config;
    this.tokenizer = deps.tokenizer;
    this.session = session;
    this.deviceInfo = session.ctx.info;
  }

  /** How forwards are recorded (forward.ts): 'prepared' (one pass, pipelined decode) or the original 'per-kernel' (bench A/B). */
  get recording(): RecordingMode {
    return this.recordingMode;
  }
  set recording(mode: RecordingMode) {
    this.recordingMode = mode;
    if (this.session) this.session.forward.recording = mode;
  }

  get device(): DeviceInfo {
    return this.deviceInfo;
  }
  /** The most tokens the KV cache may grow to (it is allocated per request, see kvCapacity). */
  get maxContext(): number {
    return this.session?.plan.maxContext ?? 0;
  }
  /** KV-cache positions allocated now. */
  get kvCapacity(): number {
    return this.session?.attention.capacity ?? 0;
  }
  /** GPU bytes the attention module (KV cache and its scratch) holds now. */
  get kvMemoryBytes(): number {
    return this.session?.attention.memoryBytes ?? 0;
  }
  /** Tokens per prefill chunk the activation buffers allow. */
  get maxPrefillChunk(): number {
    return this.session?.plan.chunk ?? 1;
  }
  /** True after the device was lost and before the next request reloads it. */
  get isLost(): boolean {
    return this.session === null || this.session.lost !== null;
  }
  /** The live GPU device (tests use it to simulate a device loss). */
  gpuDevice(): GPUDevice | null {
    return this.session?.ctx.device ?? null;
  }

  /** GPU bytes of each weight tensor (bandwidth figures in the benchmark). */
  weightBytesByTensor(): Record<string, number> {
    return { ...(this.session?.weights.byTensor ?? {}) };
  }

  cachedTokens(): readonly number[] {
    return this.cache;
  }
  clearCache(): void {
    this.cache = [];
  }

  encodeChat(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): number[] {
    return this.deps.encodeChat(messages, opts?.addGenerationPrompt ?? true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.session?.destroy();
    this.session = null;
    this.cache = [];
  }

  /** Serialises requests: resolves with a release function once earlier requests are done. */
  private async acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const prev = this.lock;
    this.lock = prev.then(() => mine);
    await prev;
    return release;
  }

  /** A live session, reloading after a device loss. */
  private async live(): Promise<Session> {
    if (this.disposed) throw new ModelDisposedError();
    if (this.session && !this.session.lost) return this.session;
    this.session?.destroy();
    this.session = null;
    this.cache = [];
    this.session = await this.deps.reload();
    this.session.forward.recording = this.recordingMode;
    this.deviceInfo = this.session.ctx.info;
    this.reloads++;
    return this.session;
  }

  /** Turns a failure while the device died into a DeviceLostError and drops the session. */
  private async translate(s: Session, e: unknown): Promise<unknown> {
    if (!s.lost) await Promise.race([s.ctx.lost, new Promise((r) => setTimeout(r, 200))]);
    if (s.lost || this.disposed) {
      this.cache = [];
      if (this.disposed) return new ModelDisposedError();
      const reason = s.lost?.reason ?? 'unknown';
      s.destroy();
      if (this.session === s) this.session = null;
      return new DeviceLostError(reason);
    }
    return e;
  }

  /**
   * Submits recorded work inside a validation error scope: a kernel that fails validation (e.g. an
   * adapter limit we did not anticipate) must fail the request loudly, not return garbage tokens.
   */
  private record(s: Session, fill: (enc: GPUCommandEncoder) => void, kind: StepKind = 'prefill', step = 0): Promise<GPUError | null> {
    const prof = this.profiler;
    const t0 = prof ? (prof.beforeRecord(kind, step), performance.now()) : 0;
    s.ctx.device.pushErrorScope('validation');
    const enc = s.ctx.device.createCommandEncoder();
    try {
      fill(enc);
    } catch (e) {
      void s.ctx.device.popErrorScope().catch(() => null);
      s.forward.arena.reset();
      throw e;
    }
    s.forward.arena.flush();
    s.ctx.device.queue.submit([enc.finish()]);
    s.forward.arena.reset();
    prof?.submitted(kind, step, performance.now() - t0);
    return s.ctx.device.popErrorScope();
  }

  private static async check(scope: Promise<GPUError | null>): Promise<void> {
    const err = await scope.catch(() => null);
    if (err) throw new Error(`GPU validation error in the forward pass: ${err.message}`);
  }

  /** Applies the BOS rule to token input: prepend only when asked, wanted by the model and absent. */
  private withBos(ids: readonly number[], addBos: boolean): number[] {
    const bos = this.tokenizer.bosId;
    if (addBos && this.tokenizer.addBosDefault && bos !== null && ids[0] !== bos) return [bos, ...ids];
    return [...ids];
  }

  /**
   * Sizes the KV cache for `need` positions (grown in pages; the grouped key copy only for G > 1).
   * SelfExtend keeps two key copies unless that does not fit (or LoadOptions.kvKeyCopies is 'one'): then
   * it runs memory-lean, with one key copy rotated to ⌊j/G⌋ inside the attention kernel. With a memory
   * budget, a plan over budget first shrinks to exactly what the request needs, then fails with advice
   * that names what fits. When the GPU itself runs out, the cached prefix is dropped and the exact need
   * is tried once more (`mayDrop`), else the error names the capacity that did fit.
   */
  private async ensureKv(s: Session, need: number, se: SelfExtendParams, mayDrop: boolean): Promise<void> {
    const att = s.attention;
    const wantSe = se.groupSize > 1;
    const copies = this.deps.loadOptions.kvKeyCopies ?? 'auto';
    let lean = wantSe && (copies === 'one' || (copies === 'auto' && att.leanKeys && !att.hasGroupedCopy));
    const canGoLean = wantSe && copies === 'auto';
    att.leanKeys = lean;
    if (need <= att.capacity && (wantSe && !lean) === att.hasGroupedCopy) return;
    const exact = need;
    let cap = kvCapacityFor(need, att.capacity, s.plan.maxContext);
    const budget = this.deps.loadOptions.memoryBudgetBytes;
    if (budget !== undefined && s.planFor(cap, wantSe && !lean).totalBytes > budget) {
      cap = exact;
      if (s.planFor(cap, wantSe && !lean).totalBytes > budget && canGoLean && !lean && s.planFor(cap, false).totalBytes <= budget) lean = true;
      const plan = s.planFor(cap, wantSe && !lean);
      if (plan.totalBytes > budget) throw new OutOfMemoryError(outOfMemoryMessage(plan, budget, this.config));
    }
    att.leanKeys = lean;
    if (await att.reserve(cap, wantSe && !lean)) return;
    if (canGoLean && !lean) {
      // The second key copy does not fit: SelfExtend with one key copy.
      att.leanKeys = lean = true;
      if (await att.reserve(cap, false)) return;
    }
    const held = att.capacity;
    if (mayDrop) {
      // Memory is tight: free the old cache (and its prefix) before allocating the new one.
      this.cache = [];
      if ((await att.reserve(1, false)) && (await att.reserve(exact, wantSe && !lean))) return;
      await att.reserve(held, false);
    }
    const plan = s.planFor(exact, wantSe && !lean);
    throw new OutOfMemoryError(
      `The GPU ran out of memory growing the KV cache to ${exact} tokens${wantSe ? ' with SelfExtend' : ''} ` +
        `(${plan.buffers.slice(0, 3).map((b) => `${b.name} ${(b.bytes / 2 ** 20).toFixed(0)} MiB, shrink: ${b.shrink}`).join('; ')}). ` +
        `${held} tokens did fit: set selfextend.targetContext (or --target) to ${held} or less, or close other GPU-heavy programs.`,
    );
  }

  async *generate(input: string | readonly number[], opts: GenerateOptions = {}): AsyncGenerator<GenerateChunk, void, undefined> {
    const release = await this.acquire();
    try {
      const s = await this.live();
      try {
        yield* this.run(s, input, opts);
      } catch (e) {
        throw await this.translate(s, e);
      }
    } finally {
      release();
    }
  }

  private async *run(s: Session, input: string | readonly number[], opts: GenerateOptions): AsyncGenerator<GenerateChunk, void, undefined> {
    const t0 = performance.now();
    const params = resolveSampling(opts);
    const addBos = opts.addBos !== false;
    const ids = typeof input === 'string' ? this.tokenizer.encode(input, addBos ? {} : { addBos: false }) : this.withBos(input, addBos);
    if (ids.length === 0) throw new Error('generate: the prompt is empty (no tokens)');
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) throw new Error(`generate: token id ${id} is outside the vocabulary (0..${this.config.vocabSize - 1})`);
    }
    const maxCtx = s.plan.maxContext;
    if (ids.length >= maxCtx) {
      throw new Error(`The prompt has ${ids.length} tokens but the context holds ${maxCtx}; shorten the prompt, raise maxContext, or use SelfExtend with a larger group size.`);
    }
    const se = opts.selfExtend ?? PLAIN;
    const chunk = Math.max(1, Math.min(opts.prefillChunk ?? this.deps.loadOptions.prefillChunk ?? 512, s.plan.chunk));
    const maxTokens = opts.maxTokens ?? Infinity;
    // The KV cache holds the window this request needs: prompt + answer budget (grown later if unbounded).
    await this.ensureKv(s, Math.min(maxCtx, ids.length + Math.min(maxTokens, ANSWER_RESERVE)), se, true);
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);

    // Prefix reuse: keep the longest common prefix, recompute only the rest (at least one token, the
    // last prompt token, must run to produce logits).
    let reuse = 0;
    if (opts.reuseCache !== false) {
      const lim = Math.min(this.cache.length, ids.length - 1);
      while (reuse < lim && this.cache[reuse] === ids[reuse]) reuse++;
      if (reuse > 0 && !s.attention.canReuse(reuse, se)) reuse = 0;
    }
    this.cache.length = reuse;
    const cached = reuse;

    const timings = { prefillMs: 0, ttftMs: 0, decodeMs: 0, prefillTps: 0, decodeTps: 0 };
    let generated = 0;
    const out: number[] = [];
    const chunkOf = (text: string, step: number[], finishReason?: FinishReason): GenerateChunk => ({
      text,
      ids: step,
      promptTokens: ids.length,
      cachedTokens: cached,
      generatedTokens: generated,
      finishReason,
      timings: { ...timings },
    });

    // Prefill in chunks; the sampler runs after the last one.
    const tp = performance.now();
    let next = -1;
    for (let pos = reuse; pos < ids.length; ) {
      if (opts.signal?.aborted) {
        yield chunkOf('', [], 'aborted');
        return;
      }
      const n = Math.min(chunk, ids.length - pos);
      const last = pos + n === ids.length;
      const scope = this.record(s, (enc) => {
        s.forward.encode(enc, ids.slice(pos, pos + n), pos, se, last ? 'last' : 'none');
        if (last) s.sampler.encode(enc, s.forward.logits, 0, params, ids, stepSeed(seed, 0));
      });
      if (last) next = await s.sampler.read();
      else await s.ctx.device.queue.onSubmittedWorkDone();
      await GpuModel.check(scope);
      if (s.lost) throw new DeviceLostError(s.lost.reason);
      this.cache.push(...ids.slice(pos, pos + n));
      pos += n;
      opts.onPrefillProgress?.(pos - reuse, ids.length - reuse);
    }
    timings.prefillMs = performance.now() - tp;
    timings.ttftMs = performance.now() - t0;
    timings.prefillTps = ((ids.length - reuse) * 1000) / Math.max(timings.prefillMs, 1e-3);

    // A continuation is not the start of a text: SentencePiece's "drop the first space" rule must not eat
    // the space the model generated (" 29141" stays " 29141").
    const decoder = this.tokenizer.createStreamDecoder({ skipSpecial: true, stripLeadingSpace: false });
    const stops = new StopStringMatcher(opts.stop);
    const td = performance.now();
    const updateDecode = (): void => {
      timings.decodeMs = performance.now() - td;
      timings.decodeTps = generated > 1 ? ((generated - 1) * 1000) / Math.max(timings.decodeMs, 1e-3) : 0;
    };
    // Pipelined decode (the default recording, no repetition penalty): step k+1 forwards token k straight
    // from the sampler's GPU output, so it is recorded and submitted before token k is read back; stop
    // tokens and strings are then checked one step late. A step submitted for a token that turns out to
    // be the last writes a KV entry past the cache, which is never reused and later overwritten.
    // With a repetition penalty each step needs the previous ids on the CPU: one step at a time.
    const pipelined = s.forward.recording === 'prepared' && !(params.repeatPenalty !== 1 && params.repeatLastN > 0);
    const pacer = this.pacer;
    /** Submitted steps whose ids were not read yet, oldest first (at most two). */
    const queued: Array<{ step: number; scope: Promise<GPUError | null>; submittedAt: number }> = [];
    let lastDone = performance.now();
    const submitStep = (step: number, tok: number, pos: number): void => {
      const scope = this.record(
        s,
        (enc) => {
          if (pipelined) s.forward.encodeFromGpuId(enc, s.sampler.idBuffer, pos, se);
          else s.forward.encode(enc, [tok], pos, se, 'last');
          // The sampler reads only the last repeatLastN ids; copying the whole context each step would grow with it.
          const n = params.repeatLastN;
          const recent = !pipelined && n > 0 ? [...ids.slice(-n), ...out.slice(-n)] : [];
          s.sampler.encode(enc, s.forward.logits, 0, params, recent, stepSeed(seed, step), step % 2);
        },
        'decode',
        step,
      );
      queued.push({ step, scope, submittedAt: performance.now() });
    };
    const readStep = async (): Promise<number> => {
      const p = queued.shift()!;
      const start = Math.max(p.submittedAt, lastDone);
      await pacer.wait(start);
      this.profiler?.readStart(p.step);
      const t = performance.now();
      const id = await s.sampler.read(p.step % 2);
      lastDone = performance.now();
      pacer.observe(lastDone - t, lastDone - start);
      this.profiler?.readDone(p.step);
      await GpuModel.check(p.scope);
      if (s.lost) throw new DeviceLostError(s.lost.reason);
      return id;
    };
    /** Steps recorded ahead and no longer needed: their results are dropped, their errors not reported. */
    const discard = (): void => {
      for (const q of queued.splice(0)) void q.scope.catch(() => null);
    };
    try {
      for (;;) {
        const tok = next;
        generated++;
        out.push(tok);
        updateDecode();
        if (this.tokenizer.stopIds.has(tok)) {
          yield chunkOf(stops.flush() + decoder.flush(), [tok], 'stop-token');
          return;
        }
        const r = stops.push(decoder.push(tok));
        if (r.stopped) {
          yield chunkOf(r.emit, [tok], 'stop-string');
          return;
        }
        const pos = this.cache.length;
        let finish: FinishReason | undefined;
        if (generated >= maxTokens) finish = 'length';
        else if (pos + 1 > maxCtx) finish = 'context-full';
        else if (opts.signal?.aborted) finish = 'aborted';
        if (finish) {
          const tail = stops.push(decoder.flush());
          yield chunkOf(r.emit + tail.emit + (tail.stopped ? '' : stops.flush()), [tok], tail.stopped ? 'stop-string' : finish);
          return;
        }
        // The step forwarding `tok` (and, pipelined, the one after it) goes to the GPU before `tok` is
        // handed out and before its successor is read back.
        // An answer without a token budget outgrows its KV reserve: grow geometrically (few grow-and-copies).
        // Pipelined, the step after this one needs its slot too. Steps already queued wrote into the old
        // cache; the grow copies after them on the queue.
        const need = pipelined && pos + 2 <= maxCtx ? pos + 2 : pos + 1;
        if (need > s.attention.capacity) await this.ensureKv(s, Math.min(maxCtx, Math.max(pos + ANSWER_RESERVE, Math.ceil(s.attention.capacity * 1.25))), se, false);
        if (queued.length === 0) submitStep(generated, tok, pos);
        if (pipelined && queued.length === 1 && generated + 1 < maxTokens && pos + 2 <= Math.min(maxCtx, s.attention.capacity)) submitStep(generated + 1, -1, pos + 1);
        yield chunkOf(r.emit, [tok]);
        if (opts.signal?.aborted) {
          yield chunkOf(stops.flush(), [], 'aborted');
          return;
        }
        next = await readStep();
        this.cache.push(tok);
      }
    } finally {
      discard();
    }
  }

  async logits(ids: readonly number[], opts: { selfExtend?: SelfExtendParams; prefillChunk?: number } = {}): Promise<Float32Array[]> {
    const release = await this.acquire();
    try {
      const s = await this.live();
      try {
        return await this.teacherForced(s, ids, opts);
      } catch (e) {
        throw await this.translate(s, e);
      }
    } finally {
      release();
    }
  }

  private async teacherForced(s: Session, ids: readonly number[], opts: { selfExtend?: SelfExtendParams; prefillChunk?: number }): Promise<Float32Array[]> {
    if (ids.length === 0) return [];
    if (ids.length > s.plan.maxContext) throw new Error(`logits: ${ids.length} tokens exceed the context of ${s.plan.maxContext}`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) throw new Error(`logits: token id ${id} is outside the vocabulary (0..${this.config.vocabSize - 1})`);
    }
    const se = opts.selfExtend ?? PLAIN;
    const chunk = Math.max(1, Math.min(opts.prefillChunk ?? this.deps.loadOptions.prefillChunk ?? 512, s.plan.chunk, s.forward.logitsRows));
    const V = this.config.vocabSize;
    const rows: Float32Array[] = [];
    this.cache = [];
    await this.ensureKv(s, ids.length, se, true);
    const rd = s.ctx.device.createBuffer({ size: chunk * V * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      for (let pos = 0; pos < ids.length; ) {
        const n = Math.min(chunk, ids.length - pos);
        const scope = this.record(s, (enc) => {
          s.forward.encode(enc, ids.slice(pos, pos + n), pos, se, 'all');
          enc.copyBufferToBuffer(s.forward.logits, 0, rd, 0, n * V * 4);
        });
        await rd.mapAsync(GPUMapMode.READ, 0, n * V * 4);
        await GpuModel.check(scope);
        const all = new Float32Array(rd.getMappedRange(0, n * V * 4).slice(0));
        rd.unmap();
        for (let i = 0; i < all.length; i++) if (!Number.isFinite(all[i])) throw new NonFiniteLogitsError();
        for (let r = 0; r < n; r++) rows.push(all.subarray(r * V, (r + 1) * V));
        this.cache.push(...ids.slice(pos, pos + n));
        pos += n;
      }
    } finally {
      rd.destroy();
    }
    return rows;
  }
}
