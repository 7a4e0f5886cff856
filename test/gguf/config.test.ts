import assert from 'node:assert/strict';
import { openGGUF, openGGUFBytes } from '../../gpu/gguf/reader';
import { encodeGGUF, meta, type WriteSpec } from '../../gpu/gguf/writer';
import { GGMLType, GGUFValueType } from '../../gpu/gguf/types';
import { describeModel } from '../../gpu/model/config';
import { llama3FreqFactors, syntheticModelSpec, type SyntheticModelOptions } from '../../gpu/model/synthetic';
import { PASSKEY, STORIES, requireFile, rejectsWith } from './helpers';

function describeSpec(spec: WriteSpec) {
  return describeModel(openGGUFBytes(encodeGGUF(spec), 'synthetic.gguf'));
}

const small = (o: Partial<SyntheticModelOptions> & Pick<SyntheticModelOptions, 'architecture'>): SyntheticModelOptions => ({
  type: GGMLType.F32,
  dim: 64,
  ffnDim: 96,
  nHeads: 4,
  nKvHeads: 2,
  nLayers: 2,
  vocabSize: 300,
  seed: 3,
  ...o,
});

/** The spec with one tensor or metadata entry changed. */
function tamper(spec: WriteSpec, f: { dropTensor?: string; dropKey?: string; setMeta?: WriteSpec['metadata'][number]; tensor?: (t: WriteSpec['tensors'][number]) => WriteSpec['tensors'][number] }): WriteSpec {
  let metadata = spec.metadata.filter((m) => m.key !== f.dropKey && m.key !== f.setMeta?.key);
  if (f.setMeta) metadata = [...metadata, f.setMeta];
  let tensors = spec.tensors.filter((t) => t.name !== f.dropTensor);
  if (f.tensor) tensors = tensors.map(f.tensor);
  return { ...spec, metadata, tensors };
}

describe('model description (gpu/model/config)', () => {
  it('describes the passkey model', async () => {
    const f = await openGGUF(PASSKEY);
    try {
      const c = await describeModel(f);
      assert.equal(c.architecture, 'llama');
      assert.deepEqual(
        [c.embeddingDim, c.nLayers, c.nHeads, c.nKvHeads, c.headDim, c.ffnDim, c.vocabSize, c.contextLength],
        [64, 4, 4, 2, 16, 176, 329, 128],
      );
      assert.deepEqual(c.rope, { layout: 'adjacent', base: 10000, dim: 16, freqFactors: null, linearScale: 1, scalingType: 'none' });
      assert.equal(c.tiedEmbeddings, false);
      assert.equal(c.qkvBias, false);
      assert.equal(c.qkNorm, false);
      assert.ok(Math.abs(c.normEps - 1e-5) < 1e-9);
      assert.equal(c.nParams, 227008);
      assert.deepEqual(c.tensorTypes, { F32: 39 });
      assert.equal(c.hasChatTemplate, false);
    } finally {
      await f.close();
    }
  });

  it('describes stories260K as a tied-embedding llama', async function () {
    requireFile(this, STORIES);
    const f = await openGGUF(STORIES);
    try {
      const c = await describeModel(f);
      assert.equal(c.tiedEmbeddings, true);
      assert.deepEqual([c.nLayers, c.nHeads, c.nKvHeads, c.headDim, c.vocabSize, c.contextLength], [5, 8, 4, 8, 512, 512]);
    } finally {
      await f.close();
    }
  });

  it('llama: adjacent RoPE, llama3 rope_freqs factors, separate output', async () => {
    const c = await describeSpec(syntheticModelSpec(small({ architecture: 'llama', llama3RopeFreqs: true, ropeBase: 500000 })));
    assert.equal(c.rope.layout, 'adjacent');
    assert.equal(c.rope.base, 500000);
    assert.equal(c.rope.scalingType, 'llama3');
    assert.deepEqual(c.rope.freqFactors, llama3FreqFactors(16, 500000));
    assert.equal(c.tiedEmbeddings, false);
  });

  it('qwen2: neox RoPE and q/k/v biases', async () => {
    const c = await describeSpec(syntheticModelSpec(small({ architecture: 'qwen2', tied: true })));
    assert.equal(c.architecture, 'qwen2');
    assert.equal(c.rope.layout, 'neox');
    assert.equal(c.qkvBias, true);
    assert.equal(c.qkNorm, false);
    assert.equal(c.tiedEmbeddings, true);
    assert.equal(c.rope.base, 1000000);
  });

  it('qwen3: q/k norm and an explicit head dim different from dim/heads', async () => {
    const c = await describeSpec(syntheticModelSpec(small({ architecture: 'qwen3', headDim: 32 })));
    assert.equal(c.qkNorm, true);
    assert.equal(c.qkvBias, false);
    assert.equal(c.headDim, 32);
    assert.equal(c.rope.dim, 32);
    assert.equal(c.rope.layout, 'neox');
  });

  it('linear RoPE scaling divides positions by the factor; default head_count_kv is head_count', async () => {
    const spec = syntheticModelSpec(small({ architecture: 'llama', linearRopeScale: 4, nKvHeads: 4 }));
    const c = await describeSpec(tamper(spec, { dropKey: 'llama.attention.head_count_kv' }));
    assert.equal(c.rope.scalingType, 'linear');
    assert.equal(c.rope.linearScale, 0.25);
    assert.equal(c.nKvHeads, 4);
  });

  it('counts tensor types for mixed-type files', async () => {
    const c = await describeSpec(syntheticModelSpec(small({ architecture: 'llama', type: GGMLType.Q8_0 })));
    assert.deepEqual(c.tensorTypes, { Q8_0: 2 + 2 * 7, F32: 1 + 2 * 2 });
  });

  describe('rejections name what is wrong', () => {
    const base = () => syntheticModelSpec(small({ architecture: 'llama' }));

    it('an unsupported architecture', async () => {
      const spec = tamper(base(), { setMeta: meta.str('general.architecture', 'gemma2') });
      await rejectsWith(() => describeSpec(spec), 'unsupported-arch', /architecture 'gemma2' is not supported \(supported: llama, qwen2, qwen3\)/);
    });

    it('a missing architecture key', async () => {
      await rejectsWith(() => describeSpec(tamper(base(), { dropKey: 'general.architecture' })), 'missing-key', /general\.architecture/);
    });

    it('an unsupported tensor type (Q3_K), naming the tensor, the type and its id', async () => {
      // K-quants need 256-wide rows, so this model is 256 wide.
      const s3 = syntheticModelSpec({ ...small({ architecture: 'llama' }), dim: 256, ffnDim: 256 });
      const s4 = tamper(s3, { tensor: (t) => (t.name === 'blk.0.attn_q.weight' ? { ...t, type: 11, data: new Uint8Array((256 * 256 / 256) * 110) } : t) });
      await rejectsWith(
        () => describeSpec(s4),
        'unsupported-type',
        /tensor blk\.0\.attn_q\.weight has type Q3_K \(id 11\), which is not supported.*use a Q4_K_M, Q5_K_M, Q8_0 or F16 file/,
      );
    });

    it('an unknown tensor type id', async () => {
      const s = tamper(base(), { tensor: (t) => (t.name === 'output_norm.weight' ? { ...t, type: 77, data: new Uint8Array(4) } : t) });
      await rejectsWith(() => describeSpec(s), 'unsupported-type', /output_norm\.weight has an unknown type id 77, which is not supported/);
    });

    it('a missing required tensor', async () => {
      await rejectsWith(() => describeSpec(tamper(base(), { dropTensor: 'blk.1.ffn_up.weight' })), 'missing-tensor', /blk\.1\.ffn_up\.weight/);
    });

    it('a qwen2 file without q/k/v biases, a qwen3 file without q/k norms', async () => {
      const q2 = tamper(syntheticModelSpec(small({ architecture: 'qwen2' })), { dropTensor: 'blk.0.attn_k.bias' });
      await rejectsWith(() => describeSpec(q2), 'missing-tensor', /blk\.0\.attn_k\.bias/);
      const q3 = tamper(syntheticModelSpec(small({ architecture: 'qwen3' })), { dropTensor: 'blk.1.attn_q_norm.weight' });
      await rejectsWith(() => describeSpec(q3), 'missing-tensor', /blk\.1\.attn_q_norm\.weight/);
    });

    it('a tensor of the wrong shape', async () => {
      const s = tamper(base(), { tensor: (t) => (t.name === 'blk.0.attn_k.weight' ? { ...t, dims: [64, 64], data: new Float32Array(64 * 64) } : t) });
      await rejectsWith(() => describeSpec(s), 'bad-shape', /blk\.0\.attn_k\.weight has shape \[64, 64\], expected \[64, 32\]/);
    });

    it('a tensor the layout does not use (e.g. experts or output bias)', async () => {
      const s = base();
      const s2 = { ...s, tensors: [...s.tensors, { name: 'blk.0.ffn_gate_inp.weight', dims: [64, 8], type: GGMLType.F32, data: new Float32Array(512) }] };
      await rejectsWith(() => describeSpec(s2), 'unsupported-feature', /blk\.0\.ffn_gate_inp\.weight/);
    });

    it('YaRN RoPE scaling', async () => {
      const s = tamper(base(), { setMeta: meta.str('llama.rope.scaling.type', 'yarn') });
      await rejectsWith(() => describeSpec(s), 'unsupported-feature', /RoPE scaling type 'yarn'/);
    });

    it('a tokenizer whose size differs from the embedding rows', async () => {
      const s = tamper(base(), { setMeta: meta.arr('tokenizer.ggml.tokens', GGUFValueType.STRING, ['a', 'b']) });
      await rejectsWith(() => describeSpec(s), 'bad-shape', /2 tokens but token_embd\.weight has 300 rows/);
    });

    it('absurd or inconsistent hyper-parameters', async () => {
      await rejectsWith(() => describeSpec(tamper(base(), { setMeta: meta.u32('llama.block_count', 0) })), 'bad-value', /llama\.block_count/);
      await rejectsWith(() => describeSpec(tamper(base(), { setMeta: meta.u32('llama.attention.head_count_kv', 3) })), 'bad-value', /not a multiple/);
      await rejectsWith(() => describeSpec(tamper(base(), { setMeta: meta.str('llama.embedding_length', '64') })), 'wrong-type', /llama\.embedding_length/);
      await rejectsWith(() => describeSpec(tamper(base(), { setMeta: meta.u32('llama.rope.dimension_count', 8) })), 'unsupported-feature', /partial rotary/);
      await rejectsWith(() => describeSpec(tamper(base(), { dropKey: 'llama.attention.layer_norm_rms_epsilon' })), 'missing-key', /layer_norm_rms_epsilon/);
      await rejectsWith(() => describeSpec(tamper(base(), { setMeta: meta.f32('llama.rope.freq_base', Number.NaN) })), 'bad-value', /freq_base/);
    });

    it('rope_freqs with a wrong length or non-positive factors', async () => {
      const s = syntheticModelSpec(small({ architecture: 'llama', llama3RopeFreqs: true }));
      const bad = tamper(s, { tensor: (t) => (t.name === 'rope_freqs.weight' ? { ...t, data: new Float32Array(8).fill(-1) } : t) });
      await rejectsWith(() => describeSpec(bad), 'bad-value', /rope_freqs\.weight\[0\]/);
      const short = tamper(s, { tensor: (t) => (t.name === 'rope_freqs.weight' ? { ...t, dims: [4], data: new Float32Array(4).fill(1) } : t) });
      await rejectsWith(() => describeSpec(short), 'bad-shape', /rope_freqs\.weight/);
    });
  });
});
