import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openGGUF, openGGUFBytes, getArray } from '../../gpu/gguf/reader';
import { parseGGUFHeader } from '../../gpu/gguf/parse';
import { GGUFValueType, GGMLType } from '../../gpu/gguf/types';
import { PASSKEY, STORIES, VOCAB_DIR, requireFile, rejectsWith } from './helpers';
import { existsSync } from 'node:fs';

describe('gguf reader: real files', () => {
  it('reads the passkey model header, metadata and tensor table', async () => {
    const f = await openGGUF(PASSKEY);
    try {
      assert.equal(f.version, 3);
      assert.equal(f.alignment, 32);
      assert.equal(f.getString('general.architecture'), 'llama');
      assert.equal(f.getNumber('llama.context_length'), 128);
      assert.equal(f.getNumber('llama.embedding_length'), 64);
      assert.equal(f.getOptional('tokenizer.ggml.add_bos_token'), true);
      const tokens = getArray(f, 'tokenizer.ggml.tokens', GGUFValueType.STRING);
      assert.equal(tokens.length, 329);
      assert.deepEqual(tokens.slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
      assert.equal(f.tensors.length, 39);
      assert.equal(f.dataOffset % 32, 0);
      const embd = f.tensor('token_embd.weight')!;
      assert.deepEqual(embd.dims, [64, 329]);
      assert.equal(embd.type, GGMLType.F32);
      assert.equal(embd.byteLength, 64 * 329 * 4);
      assert.equal(embd.nElements, 64 * 329);
      // The file ends exactly where the last tensor's (aligned) data ends.
      const end = Math.max(...f.tensors.map((t) => t.fileOffset + t.byteLength));
      assert.ok(end <= f.fileSize && f.fileSize - end < 32);
    } finally {
      await f.close();
    }
  });

  it('hands out tensor bytes by offset, identical to the bytes in the file, and bounds-checks ranges', async () => {
    const whole = readFileSync(PASSKEY);
    const f = await openGGUF(PASSKEY);
    try {
      const t = f.tensor('blk.2.ffn_down.weight')!;
      const all = await f.readTensorBytes(t);
      assert.ok(Buffer.from(all).equals(whole.subarray(t.fileOffset, t.fileOffset + t.byteLength)));
      const part = await f.readTensorBytes(t, 100, 40);
      assert.ok(Buffer.from(part).equals(whole.subarray(t.fileOffset + 100, t.fileOffset + 140)));
      await assert.rejects(f.readTensorBytes(t, t.byteLength - 4, 8), RangeError);
      await assert.rejects(f.readTensorBytes(t, -1, 4), RangeError);
      const foreign = { ...t };
      await rejectsWith(() => f.readTensorBytes(foreign), 'missing-tensor');
      // Output norm weights of a trained model are finite floats near 1.
      const norm = f.tensor('output_norm.weight')!;
      const v = new Float32Array((await f.readTensorBytes(norm)).buffer);
      assert.ok(v.every((x) => Number.isFinite(x) && Math.abs(x) < 100));
    } finally {
      await f.close();
    }
  });

  it('typed accessors name the key when it is missing or of the wrong type', async () => {
    const f = await openGGUF(PASSKEY);
    try {
      await rejectsWith(() => f.getString('llama.nonexistent'), 'missing-key', /llama\.nonexistent/);
      await rejectsWith(() => f.getString('llama.block_count'), 'wrong-type', /llama\.block_count.*UINT32|llama\.block_count/);
      await rejectsWith(() => f.getNumber('general.architecture'), 'wrong-type', /general\.architecture/);
      await rejectsWith(() => getArray(f, 'tokenizer.ggml.tokens', GGUFValueType.INT32), 'wrong-type', /ARRAY of STRING/);
    } finally {
      await f.close();
    }
  });

  it('parses in memory exactly what it parses from the file', async () => {
    const bytes = readFileSync(PASSKEY);
    const f = await openGGUF(PASSKEY);
    const m = openGGUFBytes(bytes, 'mem');
    try {
      assert.equal(m.dataOffset, f.dataOffset);
      assert.deepEqual(m.tensors, f.tensors);
      assert.deepEqual([...m.metadata.keys()], [...f.metadata.keys()]);
      const t = f.tensor('output.weight')!;
      assert.ok(Buffer.from(await m.readTensorBytes(m.tensor('output.weight')!)).equals(Buffer.from(await f.readTensorBytes(t))));
    } finally {
      await f.close();
      await m.close();
    }
  });

  it('reads stories260K (tied output, 512-token vocab)', async function () {
    requireFile(this, STORIES);
    const f = await openGGUF(STORIES);
    try {
      assert.equal(f.getString('general.architecture'), 'llama');
      assert.equal(f.tensor('output.weight'), undefined);
      assert.deepEqual(f.tensor('token_embd.weight')!.dims, [64, 512]);
      assert.equal(getArray(f, 'tokenizer.ggml.tokens').length, 512);
    } finally {
      await f.close();
    }
  });

  it('reads every llama.cpp vocabulary file in ../shared/vocab', async function () {
    if (!existsSync(VOCAB_DIR)) requireFile(this, VOCAB_DIR);
    const files = readdirSync(VOCAB_DIR).filter((n) => n.endsWith('.gguf'));
    if (files.length === 0) requireFile(this, join(VOCAB_DIR, '*.gguf'));
    for (const n of files) {
      const f = await openGGUF(join(VOCAB_DIR, n));
      try {
        const tokens = getArray(f, 'tokenizer.ggml.tokens', GGUFValueType.STRING);
        assert.ok(tokens.length > 1000, `${n}: ${tokens.length} tokens`);
        assert.equal(typeof f.getString('tokenizer.ggml.model'), 'string');
        const types = f.getOptional('tokenizer.ggml.token_type');
        if (types !== undefined) assert.equal(getArray(f, 'tokenizer.ggml.token_type').length, tokens.length, n);
      } finally {
        await f.close();
      }
    }
  });

  it('never reads more of a file than the header needs (a truncated data section is still detected)', async () => {
    // Header parse is bounded by what is read; the full-file check is the tensor range check.
    const bytes = readFileSync(PASSKEY);
    const h = parseGGUFHeader(bytes);
    assert.ok(h.memoryEstimate < 1 << 20, `estimate ${h.memoryEstimate}`);
    await rejectsWith(() => parseGGUFHeader(bytes.subarray(0, bytes.length - 1)), 'truncated', /output\.weight|blk\.3/);
  });

  it('reports a missing file or a directory as an io error', async () => {
    await rejectsWith(() => openGGUF('/nonexistent/model.gguf'), 'io', /cannot open/);
    await rejectsWith(() => openGGUF(__dirname), 'io', /not a regular file/);
  });
});
