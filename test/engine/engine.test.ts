// End-to-end behaviour of the engine on a tiny synthetic model: chunked prefill, prefix reuse,
// cancellation, queueing, context limits, device loss and out-of-memory handling.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GGMLType } from '../../gpu/gguf/types';
import { writeSyntheticModel } from '../../gpu/model/synthetic';
import { Engine, engineLiveDevices, DeviceLostError, OutOfMemoryError, type GpuModel, type GenerateChunk, type GenerateOptions } from '../../gpu/engine/index';
import { rng } from '../helpers/engine-random';

const dir = path.join(process.cwd(), 'tmp', 'engine-test');
const file = path.join(dir, 'qwen3-q8.gguf');

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  for (let p = 0; p < a.length; p++) for (let i = 0; i < a[p].length; i++) d = Math.max(d, Math.abs(a[p][i] - b[p][i]));
  return d;
}

async function collect(m: GpuModel, input: readonly number[], opts: GenerateOptions): Promise<{ ids: number[]; chunks: GenerateChunk[] }> {
  const chunks: GenerateChunk[] = [];
  for await (const c of m.generate(input, opts)) chunks.push(c);
  return { ids: chunks.flatMap((c) => c.ids), chunks };
}

describe('engine: generation API end to end', function () {
  this.timeout(300_000);
  let m: GpuModel;
  let prompt: number[];
  const greedy = { greedy: true, addBos: false } as const;

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    await writeSyntheticModel(file, { architecture: 'qwen3', type: GGMLType.Q8_0, seed: 11, vocabSize: 300 });
    m = await Engine.load(file, { maxContext: 256 });
    const r = rng(3);
    prompt = [1, ...Array.from({ length: 99 }, () => 3 + Math.floor(r() * 290))];
  });
  after(() => m?.dispose());

  it('chunked prefill (1, 7, 64, 512 tokens per chunk) gives the same logits as one pass', async () => {
    const ids = prompt.slice(0, 64);
    const whole = await m.logits(ids, { prefillChunk: 512 });
    for (const chunk of [1, 7, 64]) {
      const got = await m.logits(ids, { prefillChunk: chunk });
      const d = maxDiff(got, whole);
      assert.ok(d < 2e-3, `chunk ${chunk}: max |Δlogit| ${d}`);
    }
  });

  it('f32 fallback (disableF16: f32 KV cache) agrees with the f16 path', async () => {
    const ids = prompt.slice(0, 40);
    const f16 = await m.logits(ids);
    const f32 = await Engine.load(file, { maxContext: 64, disableF16: true });
    try {
      assert.equal(f32.device.features.shaderF16, false);
      const d = maxDiff(await f32.logits(ids), f16);
      assert.ok(d < 0.05, `max |Δlogit| ${d}`);
    } finally {
      f32.dispose();
    }
  });

  it('generate: chunked prefill gives the same tokens, and maxTokens ends with "length"', async () => {
    const a = await collect(m, prompt, { ...greedy, maxTokens: 6, prefillChunk: 512, reuseCache: false });
    const b = await collect(m, prompt, { ...greedy, maxTokens: 6, prefillChunk: 7, reuseCache: false });
    assert.deepEqual(b.ids, a.ids);
    assert.equal(a.ids.length, 6);
    assert.equal(a.chunks.at(-1)?.finishReason, 'length');
    assert.equal(a.chunks.at(-1)?.generatedTokens, 6);
    assert.equal(a.chunks[0].promptTokens, prompt.length);
  });

  it('prefix reuse computes only the suffix and matches a fresh run', async () => {
    const first = prompt.slice(0, 60);
    await collect(m, first, { ...greedy, maxTokens: 4 });
    const second = [...prompt.slice(0, 40), ...prompt.slice(70, 90)];
    let computed = -1;
    const reused = await collect(m, second, { ...greedy, maxTokens: 8, onPrefillProgress: (_d, total) => (computed = total) });
    assert.equal(reused.chunks[0].cachedTokens, 40);
    assert.equal(computed, 20);
    m.clearCache();
    const fresh = await collect(m, second, { ...greedy, maxTokens: 8 });
    assert.equal(fresh.chunks[0].cachedTokens, 0);
    assert.deepEqual(reused.ids, fresh.ids);
    // the cache now holds the prompt and the fed-back generated tokens
    assert.deepEqual(m.cachedTokens().slice(0, second.length), second);
  });

  it('abort mid-prefill stops within one chunk and leaves the model ready', async () => {
    const ac = new AbortController();
    let chunks = 0;
    const r = await collect(m, prompt, {
      ...greedy,
      maxTokens: 4,
      prefillChunk: 8,
      reuseCache: false,
      signal: ac.signal,
      onPrefillProgress: () => {
        chunks++;
        ac.abort();
      },
    });
    assert.equal(chunks, 1);
    assert.equal(r.chunks.at(-1)?.finishReason, 'aborted');
    assert.deepEqual(r.ids, []);
    const after = await collect(m, prompt, { ...greedy, maxTokens: 4 });
    m.clearCache();
    const fresh = await collect(m, prompt, { ...greedy, maxTokens: 4 });
    assert.deepEqual(after.ids, fresh.ids);
  });

  it('abort mid-decode stops within one step', async () => {
    const ac = new AbortController();
    const seen: GenerateChunk[] = [];
    for await (const c of m.generate(prompt, { ...greedy, maxTokens: 50, signal: ac.signal })) {
      seen.push(c);
      if (seen.length === 3) ac.abort();
    }
    assert.equal(seen.at(-1)?.finishReason, 'aborted');
    assert.ok(seen.flatMap((c) => c.ids).length <= 4);
    const again = await collect(m, prompt, { ...greedy, maxTokens: 3 });
    assert.equal(again.ids.length, 3);
  });

  it('queues a second request while one runs, without corrupting the cache', async () => {
    const a = prompt.slice(0, 30);
    const b = prompt.slice(50, 95);
    m.clearCache();
    const refA = await collect(m, a, { ...greedy, maxTokens: 5, reuseCache: false });
    const refB = await collect(m, b, { ...greedy, maxTokens: 5, reuseCache: false });
    const order: string[] = [];
    const run = async (name: string, ids: number[]) => {
      const out: number[] = [];
      for await (const c of m.generate(ids, { ...greedy, maxTokens: 5 })) {
        order.push(name);
        out.push(...c.ids);
      }
      return out;
    };
    const [ga, gb] = await Promise.all([run('a', a), run('b', b)]);
    assert.deepEqual(ga, refA.ids);
    assert.deepEqual(gb, refB.ids);
    assert.equal(order.join(''), 'aaaaabbbbb');
  });

  it('invalid SelfExtend parameters fail the request clearly and leave the model ready', async () => {
    await assert.rejects(collect(m, prompt.slice(0, 10), { ...greedy, maxTokens: 2, selfExtend: { groupSize: 3, neighborWindow: 8 } }), /multiple|window|W/i);
    const ok = await collect(m, prompt.slice(0, 10), { ...greedy, maxTokens: 2, selfExtend: { groupSize: 2, neighborWindow: 8 } });
    assert.equal(ok.ids.length, 2);
  });

  it('sampling with a seed is reproducible', async () => {
    const o = { temperature: 0.9, topK: 20, topP: 0.9, seed: 1234, maxTokens: 8, addBos: false, reuseCache: false };
    const x = await collect(m, prompt.slice(0, 20), o);
    const y = await collect(m, prompt.slice(0, 20), o);
    assert.deepEqual(x.ids, y.ids);
  });

  it('stops with "context-full" at the KV-cache capacity', async () => {
    const small = await Engine.load(file, { maxContext: 24 });
    try {
      const r = await collect(small, prompt.slice(0, 20), { ...greedy, maxTokens: 100 });
      assert.equal(r.chunks.at(-1)?.finishReason, 'context-full');
      assert.equal(small.cachedTokens().length, 24);
      await assert.rejects(collect(small, prompt.slice(0, 30), greedy), /context holds 24/);
    } finally {
      small.dispose();
    }
  });

  it('device lost mid-decode: the request fails clearly, the next request reloads and works', async () => {
    const ref = await collect(m, prompt.slice(0, 16), { ...greedy, maxTokens: 6, reuseCache: false });
    let n = 0;
    await assert.rejects(
      (async () => {
        for await (const c of m.generate(prompt.slice(0, 16), { ...greedy, maxTokens: 30, reuseCache: false })) {
          void c;
          if (++n === 2) m.gpuDevice()?.destroy();
        }
      })(),
      (e: unknown) => e instanceof DeviceLostError && /device was lost/.test(e.message) && /reloaded/.test(e.message),
    );
    assert.equal(m.isLost, true);
    const before = m.reloads;
    const again = await collect(m, prompt.slice(0, 16), { ...greedy, maxTokens: 6 });
    assert.equal(m.reloads, before + 1);
    assert.deepEqual(again.ids, ref.ids);
  });

  it('out of memory at load (low memory budget): actionable error, everything freed', async () => {
    const live = engineLiveDevices();
    await assert.rejects(Engine.load(file, { memoryBudgetBytes: 200_000 }), (e: unknown) => {
      assert.ok(e instanceof OutOfMemoryError, String(e));
      assert.match(e.message, /MiB needed/);
      // names the largest buffers with the setting that shrinks each
      assert.match(e.message, /activations .*MiB \(shrink: a smaller prefill chunk/);
      assert.match(e.message, /weights .*MiB \(shrink: a smaller model or quantization/);
      assert.match(e.message, /KV cache: keys .*\(shrink: a shorter context/);
      return true;
    });
    assert.equal(engineLiveDevices(), live);
    // a budget that fits the weights but not the default context shrinks the context instead of failing
    const fits = await Engine.load(file, { memoryBudgetBytes: 13 * 2 ** 20 });
    try {
      assert.ok(fits.maxContext >= 256 && fits.maxContext < 2048, `maxContext ${fits.maxContext}`);
    } finally {
      fits.dispose();
    }
    assert.equal(engineLiveDevices(), live);
  });

  it('load progress reports bytes and honours cancellation', async () => {
    const seen: number[] = [];
    const ac = new AbortController();
    const live = engineLiveDevices();
    await assert.rejects(
      Engine.load(file, {
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p.bytesDone);
          assert.ok(p.bytesDone <= p.bytesTotal);
          if (seen.length === 3) ac.abort();
        },
      }),
      /cancel|abort/i,
    );
    assert.equal(seen.length, 3);
    assert.equal(engineLiveDevices(), live);
    let last = 0;
    let total = -1;
    const ok = await Engine.load(file, { onProgress: (p) => ((last = p.bytesDone), (total = p.bytesTotal)) });
    ok.dispose();
    assert.equal(last, total);
  });

  it('encodeChat renders the template and keeps special-token text in messages inert', () => {
    const ids = m.encodeChat([{ role: 'user', content: 'hi </s> <s>' }]);
    assert.ok(ids.length > 4);
    // </s> (2) and <s> (1) written inside the message must not become control tokens
    assert.ok(!ids.includes(2), `ids ${ids.join(',')}`);
    assert.ok(!ids.slice(1).includes(1), `ids ${ids.join(',')}`);
  });

  it('dispose releases the device', async () => {
    const live = engineLiveDevices();
    const x = await Engine.load(file, { maxContext: 64 });
    assert.equal(engineLiveDevices(), live + 1);
    x.dispose();
    assert.equal(engineLiveDevices(), live);
    await assert.rejects(collect(x, [1, 5], greedy), /disposed/);
  });
});
