import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGUFError } from '../../gpu/gguf/errors';
import { headerMemoryBound, parseGGUFHeader } from '../../gpu/gguf/parse';
import { openGGUF } from '../../gpu/gguf/reader';
import { encodeGGUF, meta, type WriteSpec } from '../../gpu/gguf/writer';
import { GGMLType, GGUFValueType as V } from '../../gpu/gguf/types';
import { syntheticModelSpec } from '../../gpu/model/synthetic';
import { rejectsWith } from './helpers';

/** Hand-assembled GGUF bytes, for structures the writer refuses to produce. */
class Raw {
  private out: number[] = [];
  u8(v: number) { this.out.push(v & 0xff); return this; }
  u32(v: number) { for (let i = 0; i < 4; i++) this.out.push((v >>> (8 * i)) & 0xff); return this; }
  u64(v: bigint | number) { const b = BigInt(v); for (let i = 0n; i < 8n; i++) this.out.push(Number((b >> (8n * i)) & 0xffn)); return this; }
  bytes(b: ArrayLike<number>) { for (let i = 0; i < b.length; i++) this.out.push(b[i]!); return this; }
  str(s: string | number[]) { const b = typeof s === 'string' ? Buffer.from(s) : s; return this.u64(b.length).bytes(b); }
  header(nTensors: number | bigint, nKv: number | bigint, version = 3) { return this.u32(0x46554747).u32(version).u64(nTensors).u64(nKv); }
  kvU32(key: string | number[], v: number) { return this.str(key).u32(V.UINT32).u32(v); }
  pad(to = 32) { while (this.out.length % to) this.out.push(0); return this; }
  build() { return Uint8Array.from(this.out); }
}

const parse = (b: Uint8Array) => parseGGUFHeader(b);

function tinySpec(): WriteSpec {
  return {
    metadata: [meta.str('general.architecture', 'llama'), meta.arr('tokenizer.ggml.tokens', V.STRING, ['<unk>', 'a', 'bc']), meta.f32('x', 1)],
    tensors: [
      { name: 'a', dims: [8, 2], type: GGMLType.F32, data: new Float32Array(16) },
      { name: 'b', dims: [32], type: GGMLType.Q8_0, data: new Float32Array(32) },
    ],
  };
}

describe('gguf reader: malformed files get a typed, readable error', () => {
  it('truncation at every byte of the header and at every tensor boundary of a small model file', () => {
    const bytes = encodeGGUF(syntheticModelSpec({ architecture: 'qwen3', type: GGMLType.Q8_0, dim: 32, ffnDim: 32, nHeads: 2, nKvHeads: 1, nLayers: 1, vocabSize: 260, seed: 1 }));
    const h = parseGGUFHeader(bytes);
    const cuts = new Set<number>();
    for (let n = 0; n < h.dataOffset + 64; n++) cuts.add(n);
    for (const t of h.tensors) for (const n of [t.fileOffset, t.fileOffset + 1, t.fileOffset + t.byteLength - 1]) cuts.add(n);
    const seen = new Set<string>();
    for (const n of cuts) {
      let err: unknown;
      try {
        parse(bytes.subarray(0, n));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof GGUFError, `cut at ${n}: ${String(err)}`);
      assert.ok(['truncated', 'too-large', 'bad-offset'].includes(err.code), `cut at ${n}: ${err.code} ${err.message}`);
      assert.doesNotMatch(err.message, /undefined|NaN|\[object/, `cut at ${n}`);
      seen.add(err.code);
    }
    assert.deepEqual([...seen].sort(), ['bad-offset', 'too-large', 'truncated']);
    assert.doesNotThrow(() => parse(bytes));
  });

  it('not a GGUF file, empty file, GGUF v1 and future versions', async () => {
    await rejectsWith(() => parse(Buffer.from('GGML\x01\x00\x00\x00')), 'bad-magic', /not a GGUF file \(starts with 47 47 4d 4c/);
    await rejectsWith(() => parse(new Uint8Array(0)), 'truncated', /GGUF magic/);
    await rejectsWith(() => parse(new Raw().header(0, 0, 1).build()), 'unsupported-version', /GGUF v1/);
    await rejectsWith(() => parse(new Raw().header(0, 0, 4).build()), 'unsupported-version', /version 4; supported versions are 2 and 3/);
  });

  it('huge tensor/metadata counts, string lengths and array counts', async () => {
    await rejectsWith(() => parse(new Raw().header(1n << 62n, 0).build()), 'too-large', /tensor count is 4611686018427387904/);
    await rejectsWith(() => parse(new Raw().header(0, 0xffffffffffffffffn).build()), 'too-large', /metadata entry count/);
    await rejectsWith(() => parse(new Raw().header(0, 1).u64(0xffffffffffffffffn).bytes(new Uint8Array(8)).build()), 'too-large', /length of the key of metadata entry 0/);
    const key = new Raw().header(0, 1).str('k').u32(V.STRING).u64(5).bytes([0x61, 0x62, 0x63, 0x64]).build();
    await rejectsWith(() => parse(key), 'too-large', /length of metadata key 'k' is 5.*only 4 bytes remain/);
    const arr = new Raw().header(0, 1).str('arr').u32(V.ARRAY).u32(V.UINT32).u64(1n << 40n).build();
    await rejectsWith(() => parse(arr), 'too-large', /element count of metadata key 'arr' \(array of UINT32\) is 1099511627776/);
    const strs = new Raw().header(0, 1).str('s').u32(V.ARRAY).u32(V.STRING).u64(100).bytes(new Uint8Array(799)).build();
    await rejectsWith(() => parse(strs), 'too-large', /array of STRING\) is 100, which needs at least 800 bytes/);
  });

  it('wrong value type tags and over-deep nesting', async () => {
    await rejectsWith(() => parse(new Raw().header(0, 1).str('k').u32(13).u32(0).build()), 'bad-value-type', /metadata key 'k' has unknown value type 13/);
    await rejectsWith(() => parse(new Raw().header(0, 1).str('k').u32(V.ARRAY).u32(0x7fffffff).u64(0).build()), 'bad-value-type', /array of unknown value type 2147483647/);
    const deep = new Raw().header(0, 1).str('deep').u32(V.ARRAY);
    for (let i = 0; i < 12; i++) deep.u32(V.ARRAY).u64(1);
    deep.u32(V.UINT8).u64(0);
    await rejectsWith(() => parse(deep.build()), 'bad-value-type', /nests arrays more than 8 deep/);
    await rejectsWith(() => parse(new Raw().header(0, 1).str('b').u32(V.BOOL).u8(2).build()), 'bad-value', /'b' is a bool stored as 2/);
  });

  it('invalid UTF-8 in keys, values and tensor names (incl. overlongs and surrogates)', async () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0xe2, 0x82]]) {
      await rejectsWith(() => parse(new Raw().header(0, 1).kvU32(bad, 1).build()), 'bad-utf8', /key of metadata entry 0 is not valid UTF-8/);
    }
    const longBad = [...Buffer.from('x'.repeat(100)), 0xc3];
    await rejectsWith(() => parse(new Raw().header(0, 1).str('k').u32(V.STRING).str(longBad).build()), 'bad-utf8', /metadata key 'k'/);
    const t = new Raw().header(1, 0).str([0x62, 0xfe]).u32(1).u64(4).u32(0).u64(0).pad().bytes(new Uint8Array(16)).build();
    await rejectsWith(() => parse(t), 'bad-utf8', /name of tensor 0/);
    // Valid multi-byte text decodes exactly.
    const ok = parse(new Raw().header(0, 1).str('k').u32(V.STRING).str('▁ü😀').build());
    assert.equal(ok.metadata.get('k')!.value, '▁ü😀');
  });

  it('quotes hostile keys in messages: control characters escaped, length capped', async () => {
    const key = '\u001b[2J' + 'k'.repeat(500);
    const e = await rejectsWith(() => parse(new Raw().header(0, 1).str(key).u32(99).build()), 'bad-value-type', /metadata key '\\x1b\[2Jk+…' has unknown value type 99/);
    assert.ok(e.message.length < 200);
  });

  it('duplicate metadata keys and tensor names', async () => {
    await rejectsWith(() => parse(new Raw().header(0, 2).kvU32('a.b', 1).kvU32('a.b', 2).build()), 'duplicate-key', /metadata key 'a\.b' appears twice/);
    const spec = tinySpec();
    await rejectsWith(() => parse(encodeGGUF({ ...spec, tensors: [spec.tensors[0]!, { ...spec.tensors[0]! }] })), 'duplicate-key', /tensor 'a' appears twice/);
  });

  it('absurd tensor shapes', async () => {
    const tensor = (dims: (number | bigint)[], type = 0, name = 't') => {
      const r = new Raw().header(1, 0).str(name).u32(dims.length);
      for (const d of dims) r.u64(d);
      return r.u32(type).u64(0).pad().bytes(new Uint8Array(64)).build();
    };
    await rejectsWith(() => parse(tensor([1, 1, 1, 1, 1])), 'bad-shape', /5 dimensions \(ggml allows at most 4\)/);
    await rejectsWith(() => parse(tensor([4, 0])), 'bad-shape', /dimension 1 of size 0/);
    await rejectsWith(() => parse(tensor([1n << 30n, 1n << 30n])), 'too-large', /overflows 2\^53/);
    await rejectsWith(() => parse(tensor([0xffffffffffffffffn])), 'too-large', /overflows 2\^53/);
    await rejectsWith(() => parse(tensor([31], GGMLType.Q4_0)), 'bad-shape', /first dimension 31 is not a multiple of the block size 32/);
    await rejectsWith(() => parse(tensor([1024, 1024])), 'truncated', /tensor 't' \(F32, 4194304 bytes/);
    await rejectsWith(() => parse(tensor([4], 0, 'n'.repeat(64))), 'too-large', /64-byte name/);
  });

  it('unaligned, out-of-file and overlapping tensor offsets', async () => {
    const spec = tinySpec();
    const withOffset = (i: number, off: number) => encodeGGUF({ ...spec, tensors: spec.tensors.map((t, j) => (j === i ? { ...t, offsetOverride: off } : t)) });
    await rejectsWith(() => parse(withOffset(1, 68)), 'bad-offset', /tensor 'b' has data offset 68, which is not a multiple of the alignment 32/);
    await rejectsWith(() => parse(withOffset(1, 2 ** 40)), 'bad-offset', /tensor 'b' has data offset 1099511627776, beyond the end of the file/);
    await rejectsWith(() => parse(withOffset(1, 32)), 'bad-offset', /tensors 'a' .* and 'b' .* overlap/);
    await rejectsWith(() => parse(withOffset(0, 96)), 'truncated', /tensor 'a' .* extends past the end of the file/);
  });

  it('general.alignment that is not a power of two, or not an integer', async () => {
    const spec = tinySpec();
    for (const a of [0, 3, 48, 1 << 30]) {
      await rejectsWith(() => parse(encodeGGUF({ ...spec, metadata: [...spec.metadata, meta.u32('general.alignment', a)] })), 'bad-alignment', new RegExp(`general\\.alignment is ${a}; it must be a power of two`));
    }
    await rejectsWith(() => parse(encodeGGUF({ ...spec, metadata: [...spec.metadata, meta.str('general.alignment', '32')] })), 'wrong-type', /general\.alignment must be an unsigned integer, got STRING/);
    await rejectsWith(() => parse(encodeGGUF({ ...spec, metadata: [...spec.metadata, meta.f32('general.alignment', 32)] })), 'wrong-type', /FLOAT32/);
  });

  it('keeps the parsed header within its memory bound', async () => {
    const big = encodeGGUF({ metadata: [meta.arr('tokens', V.STRING, Array.from({ length: 20000 }, (_, i) => `tok${i}`))], tensors: [] });
    assert.ok(parseGGUFHeader(big).memoryEstimate > 20000 * 24);
    await rejectsWith(() => parseGGUFHeader(big, { maxHeaderMemory: 100_000 }), 'too-large', /past 0 MiB of memory/);
    // 5 MB of UINT8 array elements would be 80 MB of JS values: refused before the array is allocated.
    const bytes = new Raw().header(0, 1).str('blob').u32(V.ARRAY).u32(V.UINT8).u64(5_000_000).bytes(new Uint8Array(5_000_000)).build();
    await rejectsWith(() => parseGGUFHeader(bytes), 'too-large', /metadata key 'blob' would take the parsed header past 64 MiB/);
    assert.equal(headerMemoryBound(1000), 64 * 2 ** 20);
    assert.equal(headerMemoryBound(100 * 2 ** 20), 100 * 2 ** 20);
    assert.equal(headerMemoryBound(8 * 2 ** 30), 256 * 2 ** 20);
  });

  it('a file that shrinks after it was opened fails the tensor read with a typed error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gguf-bad-'));
    try {
      const p = join(dir, 'm.gguf');
      const bytes = encodeGGUF(tinySpec());
      writeFileSync(p, bytes);
      const f = await openGGUF(p);
      try {
        truncateSync(p, f.dataOffset + 8);
        await rejectsWith(() => f.readTensorBytes(f.tensor('a')!), 'truncated', /changed after it was opened/);
      } finally {
        await f.close();
      }
      writeFileSync(p, bytes.subarray(0, 10));
      await rejectsWith(() => openGGUF(p), 'truncated', /tensor count/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
