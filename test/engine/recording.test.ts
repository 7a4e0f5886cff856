// The prepared recording (one compute pass per forward, dispatch lists replayed by reference, pipelined
// decode with stops checked one step late) against the original per-kernel, one-step-at-a-time
// recording: bit-identical logits, identical tokens, finish reasons and KV-cache contents. Also: NaN
// weights fail a request with a clear error instead of producing garbage (issue 13, finding 10).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GGMLType } from '../../gpu/gguf/types';
import { writeGGUF } from '../../gpu/gguf/writer';
import { syntheticModelSpec, writeSyntheticModel } from '../../gpu/model/synthetic';
import { Engine, NonFiniteLogitsError, type GenerateChunk, type GenerateOptions, type GpuModel } from '../../gpu/engine/index';
import { rng } from '../helpers/engine-random';

const dir = path.join(process.cwd(), 'tmp', 'engine-recording-test');
const file = path.join(dir, 'qwen2-q8.gguf');

async function collect(m: GpuModel, input: readonly number[], opts: GenerateOptions): Promise<{ ids: number[]; text: string; chunks: GenerateChunk[] }> {
  const chunks: GenerateChunk[] = [];
  for await (const c of m.generate(input, opts)) chunks.push(c);
  return { ids: chunks.flatMap((c) => c.ids), text: chunks.map((c) => c.text).join(''), chunks };
}

describe('engine: prepared + pipelined recording vs the per-kernel recording', function () {
  this.timeout(300_000);
  let m: GpuModel;
  let prompt: number[];
  const greedy = { greedy: true, addBos: false, reuseCache: false } as const;

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    // qwen2: q/k/v biases, so every prepared kernel kind (bias add included) is exercised
    await writeSyntheticModel(file, { architecture: 'qwen2', type: GGMLType.Q8_0, seed: 21, vocabSize: 300 });
    m = await Engine.load(file, { maxContext: 96 });
    const r = rng(5);
    prompt = Array.from({ length: 30 }, () => 3 + Math.floor(r() * 290));
  });
  after(() => m?.dispose());

  /** Runs f in each recording mode and returns both results. */
  async function ab<T>(f: () => Promise<T>): Promise<{ perKernel: T; prepared: T }> {
    m.recording = 'per-kernel';
    try {
      const perKernel = await f();
      m.recording = 'prepared';
      return { perKernel, prepared: await f() };
    } finally {
      m.recording = 'prepared';
    }
  }

  it('teacher-forced logits are bit-identical (chunks of 1, 5 and 30 tokens)', async () => {
    for (const chunk of [1, 5, 30]) {
      const r = await ab(() => m.logits(prompt, { prefillChunk: chunk }));
      for (let p = 0; p < prompt.length; p++) assert.deepEqual(r.prepared[p], r.perKernel[p], `chunk ${chunk}, position ${p}`);
    }
  });

  it('greedy and seeded sampling give the same tokens, finish reasons and cache', async () => {
    for (const opts of [
      { ...greedy, maxTokens: 20 },
      { addBos: false, reuseCache: false, temperature: 0.9, topK: 20, topP: 0.9, seed: 99, maxTokens: 12 },
      { ...greedy, maxTokens: 1 },
    ]) {
      const r = await ab(async () => {
        const out = await collect(m, prompt, opts);
        return { ids: out.ids, finish: out.chunks.at(-1)?.finishReason, cache: [...m.cachedTokens()] };
      });
      assert.deepEqual(r.prepared, r.perKernel);
      assert.equal(r.prepared.ids.length, opts.maxTokens);
    }
  });

  it('stop strings checked one step late change no output and no cache entry', async () => {
    const base = await collect(m, prompt, { ...greedy, maxTokens: 12 });
    // A stop string made of the text of generated tokens 5..6: the output ends in the middle of a run whose
    // next step was already submitted.
    const stopText = m.tokenizer.decode(base.ids.slice(4, 6));
    assert.ok(stopText.length > 0);
    for (const opts of [{ ...greedy, maxTokens: 12, stop: [stopText] }]) {
      const r = await ab(async () => {
        const out = await collect(m, prompt, opts);
        return { ids: out.ids, text: out.text, finish: out.chunks.at(-1)?.finishReason, cache: [...m.cachedTokens()] };
      });
      assert.deepEqual(r.prepared, r.perKernel);
    }
    // after a stop, the next request continues from the right cache (prefix reuse over the stopped run)
    const again = await ab(async () => (await collect(m, [...prompt, ...base.ids.slice(0, 3)], { greedy: true, addBos: false, maxTokens: 4 })).ids);
    assert.deepEqual(again.prepared, again.perKernel);
  });

  it('context-full at the capacity, and abort mid-decode, behave as before', async () => {
    const long = await ab(async () => {
      const out = await collect(m, prompt, { ...greedy, maxTokens: 500 });
      return { n: out.ids.length, finish: out.chunks.at(-1)?.finishReason, cache: m.cachedTokens().length };
    });
    assert.deepEqual(long.prepared, long.perKernel);
    assert.equal(long.prepared.finish, 'context-full');
    const aborted = await ab(async () => {
      const ac = new AbortController();
      const ids: number[] = [];
      for await (const c of m.generate(prompt, { ...greedy, maxTokens: 50, signal: ac.signal })) {
        ids.push(...c.ids);
        if (ids.length === 4) ac.abort();
      }
      return { ids, cache: m.cachedTokens().length };
    });
    assert.deepEqual(aborted.prepared, aborted.perKernel);
  });
});

describe('engine: non-finite weights (issue 13, finding 10)', function () {
  this.timeout(120_000);
  it('a NaN in a weight fails generate and logits with NonFiniteLogitsError, not garbage', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const bad = path.join(dir, 'llama-nan.gguf');
    const spec = syntheticModelSpec({ architecture: 'llama', type: GGMLType.F32, seed: 3, vocabSize: 300, dim: 64, ffnDim: 128, nHeads: 2, nKvHeads: 1, nLayers: 1 });
    const t = spec.tensors.find((x) => x.name === 'blk.0.ffn_down.weight');
    assert.ok(t && t.data instanceof Float32Array);
    t.data.fill(NaN, 0, 64);
    await writeGGUF(bad, spec);
    const nan = await Engine.load(bad, { maxContext: 32 });
    try {
      await assert.rejects(collect(nan, [1, 2, 3], { greedy: true, addBos: false, maxTokens: 3 }), (e: unknown) => e instanceof NonFiniteLogitsError && /corrupt/.test(e.message));
      await assert.rejects(nan.logits([1, 2, 3]), NonFiniteLogitsError);
      // the model stays usable for requests (each fails the same clear way) and is not marked lost
      assert.equal(nan.isLost, false);
    } finally {
      nan.dispose();
    }
  });
});
