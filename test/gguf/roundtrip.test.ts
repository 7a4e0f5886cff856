import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGGUF, openGGUFBytes } from '../../gpu/gguf/reader';
import { encodeGGUF, writeGGUF, type WriteMetadata, type WriteSpec } from '../../gpu/gguf/writer';
import { GGMLType, GGML_BLOCK, GGUFValueType as V, type GGUFValue } from '../../gpu/gguf/types';
import { SUPPORTED_TYPES, ggmlTypeName } from '../../gpu/gguf/ggml-types';
import { dequantize, quantize } from '../../gpu/quant/index';
import { seededRandom } from '../../gpu/model/synthetic';

const ALL_VALUES: WriteMetadata[] = [
  { key: 'v.u8', type: V.UINT8, value: 255 },
  { key: 'v.i8', type: V.INT8, value: -128 },
  { key: 'v.u16', type: V.UINT16, value: 65535 },
  { key: 'v.i16', type: V.INT16, value: -32768 },
  { key: 'v.u32', type: V.UINT32, value: 4294967295 },
  { key: 'v.i32', type: V.INT32, value: -2147483648 },
  { key: 'v.f32', type: V.FLOAT32, value: Math.fround(3.14159) },
  { key: 'v.bool.t', type: V.BOOL, value: true },
  { key: 'v.bool.f', type: V.BOOL, value: false },
  { key: 'v.str', type: V.STRING, value: 'héllo ▁wörld 😀 {{ bos_token }}' },
  { key: 'v.str.empty', type: V.STRING, value: '' },
  { key: 'v.u64', type: V.UINT64, value: 18446744073709551615n },
  { key: 'v.i64', type: V.INT64, value: -9223372036854775808n },
  { key: 'v.f64', type: V.FLOAT64, value: 2.718281828459045 },
  { key: 'a.u8', type: V.ARRAY, value: { elementType: V.UINT8, values: [0, 1, 255] } },
  { key: 'a.i16', type: V.ARRAY, value: { elementType: V.INT16, values: [-1, 2, -300] } },
  { key: 'a.f32', type: V.ARRAY, value: { elementType: V.FLOAT32, values: [0.5, -1.25, 1e-3].map(Math.fround) } },
  { key: 'a.str', type: V.ARRAY, value: { elementType: V.STRING, values: ['<s>', '▁the', '', 'Ġ', '\u0000x'] } },
  { key: 'a.bool', type: V.ARRAY, value: { elementType: V.BOOL, values: [true, false] } },
  { key: 'a.u64', type: V.ARRAY, value: { elementType: V.UINT64, values: [0n, 1n << 63n] } },
  { key: 'a.i64', type: V.ARRAY, value: { elementType: V.INT64, values: [-5n] } },
  { key: 'a.f64', type: V.ARRAY, value: { elementType: V.FLOAT64, values: [Math.PI] } },
  { key: 'a.empty', type: V.ARRAY, value: { elementType: V.UINT32, values: [] } },
  {
    key: 'a.nested',
    type: V.ARRAY,
    value: {
      elementType: V.ARRAY,
      values: [
        { elementType: V.STRING, values: ['a', 'b'] },
        { elementType: V.ARRAY, values: [{ elementType: V.INT32, values: [1, -2, 3] }] },
      ],
    },
  },
];

function toPlain(v: GGUFValue): unknown {
  return typeof v === 'object' ? { t: v.elementType, v: v.values.map(toPlain) } : v;
}

describe('gguf writer -> reader round trip', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gguf-rt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const version of [2, 3] as const) {
    it(`preserves every metadata value type, nested arrays included (GGUF v${version})`, async () => {
      const p = join(dir, `values-v${version}.gguf`);
      await writeGGUF(p, { version, metadata: ALL_VALUES, tensors: [] });
      const f = await openGGUF(p);
      try {
        assert.equal(f.version, version);
        assert.deepEqual([...f.metadata.keys()], ALL_VALUES.map((m) => m.key));
        for (const m of ALL_VALUES) {
          const e = f.metadata.get(m.key)!;
          assert.equal(e.type, m.type, m.key);
          assert.deepEqual(toPlain(e.value), toPlain(m.value), m.key);
        }
      } finally {
        await f.close();
      }
    });
  }

  for (const type of SUPPORTED_TYPES) {
    it(`stores ${ggmlTypeName(type)} tensors (raw bytes and quantize-on-write) at aligned offsets`, async () => {
      const rand = seededRandom(type + 7);
      const blk = GGML_BLOCK[type].blockSize;
      const dims = [Math.max(blk, 32) * 2, 3];
      const n = dims[0]! * dims[1]!;
      const values = new Float32Array(n).map(() => (rand() - 0.5) * 4);
      const raw = quantize(type, values);
      const spec: WriteSpec = {
        metadata: [{ key: 'general.architecture', type: V.STRING, value: 'test' }],
        tensors: [
          { name: 'a', dims, type, data: values },
          { name: 'b', dims: [dims[0]!], type, data: raw.subarray(0, raw.length / 3) },
          { name: 'c.odd', dims: [blk], type, data: quantize(type, values.subarray(0, blk)) },
        ],
      };
      const f = openGGUFBytes(encodeGGUF(spec));
      const a = f.tensor('a')!;
      assert.equal(a.type, type);
      assert.deepEqual(a.dims, dims);
      assert.equal(a.byteLength, raw.length);
      for (const t of f.tensors) assert.equal((t.fileOffset - f.dataOffset) % 32, 0, t.name);
      const bytes = await f.readTensorBytes(a);
      assert.ok(Buffer.from(bytes).equals(Buffer.from(raw)), 'quantize-on-write bytes equal quantize()');
      const back = dequantize(type, bytes, n);
      // Quantization error bound: generous per type, but fails on any layout mistake (which gives O(1) errors).
      const tol = type === GGMLType.F32 ? 0 : type === GGMLType.F16 ? 2e-3 : type === GGMLType.BF16 ? 2e-2 : type === GGMLType.Q8_0 ? 0.03 : 0.5;
      let maxErr = 0;
      for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(back[i]! - values[i]!));
      assert.ok(maxErr <= tol, `${ggmlTypeName(type)} max error ${maxErr} > ${tol}`);
      const b = await f.readTensorBytes(f.tensor('b')!);
      assert.ok(Buffer.from(b).equals(Buffer.from(raw.subarray(0, raw.length / 3))));
    });
  }

  for (const alignment of [1, 8, 64, 4096]) {
    it(`honours general.alignment = ${alignment}`, async () => {
      const p = join(dir, `align-${alignment}.gguf`);
      const data = new Float32Array([1, 2, 3]);
      await writeGGUF(p, {
        alignment,
        metadata: [],
        tensors: [
          { name: 'x', dims: [3], type: GGMLType.F32, data },
          { name: 'y', dims: [3], type: GGMLType.F32, data: data.map((v) => -v) },
        ],
      });
      const f = await openGGUF(p);
      try {
        assert.equal(f.alignment, alignment);
        assert.equal(f.getNumber('general.alignment'), alignment);
        assert.equal(f.dataOffset % alignment, 0);
        const y = f.tensor('y')!;
        assert.equal((y.fileOffset - f.dataOffset) % alignment, 0);
        assert.deepEqual([...new Float32Array((await f.readTensorBytes(y)).buffer)], [-1, -2, -3]);
      } finally {
        await f.close();
      }
    });
  }

  it('reads tensors of types it cannot compute with, sizing known ggml types and marking unknown ids', () => {
    const f = openGGUFBytes(
      encodeGGUF({
        metadata: [],
        tensors: [
          { name: 'q3k', dims: [256, 2], type: 11, data: new Uint8Array(220) },
          { name: 'weird', dims: [4], type: 99, data: new Uint8Array(16) },
        ],
      }),
    );
    assert.equal(f.tensor('q3k')!.byteLength, 220);
    assert.equal(f.tensor('weird')!.byteLength, -1);
  });
});
