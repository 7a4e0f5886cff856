import * as assert from 'node:assert/strict';
import { GGMLType, GGML_BLOCK } from '../../gpu/gguf/types';
import { quantize, dequantize, byteSize, f32ToF16Bits } from '../../gpu/quant';
import { rng } from '../helpers/engine-random';

const ALL: GGMLType[] = [
  GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_1,
  GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K,
];


function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return out;
}

function f16(v: number): [number, number] {
  const h = f32ToF16Bits(v);
  return [h & 0xff, h >> 8];
}

function rms(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / a.length);
}

function rmsErr(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

describe('quant: dequantize hand-built blocks (ggml layouts)', () => {
  it('Q8_0: d * int8', () => {
    const b = new Uint8Array(34);
    b.set(f16(0.5), 0);
    for (let j = 0; j < 32; j++) b[2 + j] = (j - 16) & 0xff;
    const y = dequantize(GGMLType.Q8_0, b, 32);
    for (let j = 0; j < 32; j++) assert.equal(y[j], (j - 16) * 0.5);
  });

  it('Q4_0: low nibbles are elements 0..15, high nibbles 16..31, offset 8', () => {
    const b = new Uint8Array(18);
    b.set(f16(2), 0);
    for (let j = 0; j < 16; j++) b[2 + j] = j | ((15 - j) << 4);
    const y = dequantize(GGMLType.Q4_0, b, 32);
    for (let j = 0; j < 16; j++) {
      assert.equal(y[j], (j - 8) * 2);
      assert.equal(y[j + 16], (15 - j - 8) * 2);
    }
  });

  it('Q4_1: d * q + m', () => {
    const b = new Uint8Array(20);
    b.set(f16(0.25), 0);
    b.set(f16(-1), 2);
    for (let j = 0; j < 16; j++) b[4 + j] = j | (j << 4);
    const y = dequantize(GGMLType.Q4_1, b, 32);
    for (let j = 0; j < 16; j++) {
      assert.equal(y[j], j * 0.25 - 1);
      assert.equal(y[j + 16], j * 0.25 - 1);
    }
  });

  it('Q5_0 / Q5_1: fifth bit j of qh for element j, bit j+16 for element j+16', () => {
    for (const type of [GGMLType.Q5_0, GGMLType.Q5_1]) {
      const is1 = type === GGMLType.Q5_1;
      const b = new Uint8Array(GGML_BLOCK[type].typeSize);
      b.set(f16(1), 0);
      if (is1) b.set(f16(0.5), 2);
      const qh = 0b1010_0000_0000_0001_1000_0000_0000_0011; // elements 0,1,15 and 29,31
      const h = is1 ? 4 : 2;
      b[h] = qh & 0xff;
      b[h + 1] = (qh >>> 8) & 0xff;
      b[h + 2] = (qh >>> 16) & 0xff;
      b[h + 3] = qh >>> 24;
      for (let j = 0; j < 16; j++) b[h + 4 + j] = 3 | (5 << 4);
      const y = dequantize(type, b, 32);
      for (let j = 0; j < 32; j++) {
        const q = (j < 16 ? 3 : 5) + ((qh >>> j) & 1 ? 16 : 0);
        assert.equal(y[j], is1 ? q + 0.5 : q - 16, `${GGMLType[type]} element ${j}`);
      }
    }
  });

  // A Q4_K/Q5_K block with distinct 6-bit scales/mins per sub-block, packed as ggml's get_scale_min_k4 reads them.
  function packScalesK(sc: number[], mn: number[]): Uint8Array {
    const s = new Uint8Array(12);
    for (let j = 0; j < 8; j++) {
      if (j < 4) {
        s[j] = sc[j];
        s[j + 4] = mn[j];
      } else {
        s[j + 4] = (sc[j] & 15) | ((mn[j] & 15) << 4);
        s[j - 4] |= (sc[j] >> 4) << 6;
        s[j] |= (mn[j] >> 4) << 6;
      }
    }
    return s;
  }

  it('Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit packed scales and mins', () => {
    const sc = [1, 63, 17, 40, 33, 5, 62, 48];
    const mn = [0, 7, 63, 22, 50, 31, 16, 9];
    for (const type of [GGMLType.Q4_K, GGMLType.Q5_K]) {
      const is5 = type === GGMLType.Q5_K;
      const b = new Uint8Array(GGML_BLOCK[type].typeSize);
      b.set(f16(0.5), 0);
      b.set(f16(0.25), 2);
      b.set(packScalesK(sc, mn), 4);
      const qs = is5 ? 48 : 16;
      // element e = 64*c + 32*hi + l has nibble ((l + c + hi) & 15); in Q5_K its fifth bit is (l % 3 == 0).
      for (let c = 0; c < 4; c++) {
        for (let l = 0; l < 32; l++) b[qs + 32 * c + l] = ((l + c) & 15) | (((l + c + 1) & 15) << 4);
      }
      if (is5) for (let l = 0; l < 32; l++) b[16 + l] = l % 3 === 0 ? 0xff : 0;
      const y = dequantize(type, b, 256);
      for (let e = 0; e < 256; e++) {
        const c = e >> 6;
        const hi = (e >> 5) & 1;
        const l = e & 31;
        const sub = 2 * c + hi;
        const q = ((l + c + hi) & 15) + (is5 && l % 3 === 0 ? 16 : 0);
        assert.equal(y[e], 0.5 * sc[sub] * q - 0.25 * mn[sub], `${GGMLType[type]} element ${e}`);
      }
    }
  });

  it('Q6_K: ql/qh 6-bit values, int8 scales per 16, d last', () => {
    const b = new Uint8Array(210);
    const q = new Int8Array(256); // signed level -32..31 per element
    for (let e = 0; e < 256; e++) q[e] = ((e * 7) % 64) - 32;
    const scales = new Int8Array(16).map((_, i) => (i % 2 ? -1 : 1) * (i * 8 + 3));
    for (let n = 0; n < 2; n++) {
      for (let l = 0; l < 32; l++) {
        const L = [0, 32, 64, 96].map((k) => q[128 * n + l + k] + 32);
        b[64 * n + l] = (L[0] & 15) | ((L[2] & 15) << 4);
        b[64 * n + l + 32] = (L[1] & 15) | ((L[3] & 15) << 4);
        b[128 + 32 * n + l] = (L[0] >> 4) | ((L[1] >> 4) << 2) | ((L[2] >> 4) << 4) | ((L[3] >> 4) << 6);
      }
    }
    for (let i = 0; i < 16; i++) b[192 + i] = scales[i] & 0xff;
    b.set(f16(0.125), 208);
    const y = dequantize(GGMLType.Q6_K, b, 256);
    for (let e = 0; e < 256; e++) assert.equal(y[e], 0.125 * scales[e >> 4] * q[e], `element ${e}`);
  });

  it('F16 / BF16 / F32 read little-endian elements', () => {
    assert.deepEqual([...dequantize(GGMLType.F16, new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), 2)], [1, -2]);
    assert.deepEqual([...dequantize(GGMLType.BF16, new Uint8Array([0x80, 0x3f, 0x49, 0x40]), 2)], [1, 3.140625]);
    assert.deepEqual([...dequantize(GGMLType.F32, new Uint8Array(new Float32Array([1.5, -7]).buffer), 2)], [1.5, -7]);
  });

  it('rejects lengths that are not whole blocks or buffers that are too short', () => {
    assert.throws(() => quantize(GGMLType.Q4_K, new Float32Array(300)), /blocks of 256/);
    assert.throws(() => dequantize(GGMLType.Q8_0, new Uint8Array(33), 32), /need 34 bytes/);
    assert.equal(byteSize(GGMLType.Q6_K, 512), 420);
  });
});

describe('quant: round trips', () => {
  // Relative RMS error bounds (error / signal RMS) for Gaussian data, a little above what ggml's reference
  // quantizers achieve (Q4_0 ≈ 0.10, Q4_K ≈ 0.07, Q5_K ≈ 0.035, Q6_K ≈ 0.017, Q8_0 ≈ 0.004).
  const bound: Record<GGMLType, number> = {
    [GGMLType.F32]: 0,
    [GGMLType.F16]: 5e-4,
    [GGMLType.BF16]: 4e-3,
    [GGMLType.Q8_0]: 0.008,
    [GGMLType.Q4_0]: 0.13,
    [GGMLType.Q4_1]: 0.12,
    [GGMLType.Q5_0]: 0.065,
    [GGMLType.Q5_1]: 0.06,
    [GGMLType.Q4_K]: 0.09,
    [GGMLType.Q5_K]: 0.045,
    [GGMLType.Q6_K]: 0.022,
  };
  for (const type of ALL) {
    it(`${GGMLType[type]}: dequantize(quantize(x)) error within bound, and re-quantizing is stable`, () => {
      const x = gaussian(4096, type + 1, 0.02);
      const q = quantize(type, x);
      assert.equal(q.length, byteSize(type, x.length));
      const y = dequantize(type, q, x.length);
      const rel = rmsErr(x, y) / rms(x);
      assert.ok(rel <= bound[type], `relative RMS error ${rel.toFixed(5)} > ${bound[type]}`);
      if (type === GGMLType.F32) assert.deepEqual(y, x);
      // Already-representable values survive a second round trip closely.
      const y2 = dequantize(type, quantize(type, y), x.length);
      assert.ok(rmsErr(y, y2) / rms(y) <= bound[type], 'second round trip drifted');
    });

    it(`${GGMLType[type]}: edge values (zeros, constants, one outlier, sign flips, large/small magnitudes)`, () => {
      const bs = Math.max(32, GGML_BLOCK[type].blockSize);
      const blocks: Float32Array[] = [
        new Float32Array(bs), // all zero
        new Float32Array(bs).fill(0.75), // constant positive
        new Float32Array(bs).fill(-3), // constant negative
        new Float32Array(bs).map((_, i) => (i === 5 ? 100 : 0.01 * (i % 7))), // one outlier
        new Float32Array(bs).map((_, i) => (i % 2 ? 1 : -1) * (i + 1)), // alternating signs
        gaussian(bs, 99, 1e3), // large (f16 scales still in range)
        gaussian(bs, 98, 1e-3), // small
      ];
      for (const [k, x] of blocks.entries()) {
        const y = dequantize(type, quantize(type, x), bs);
        let amax = 0;
        for (const v of x) amax = Math.max(amax, Math.abs(v));
        for (let i = 0; i < bs; i++) {
          assert.ok(Number.isFinite(y[i]), `case ${k}: element ${i} not finite`);
          // Every type must at least place each value within half its block's coarsest step of range.
          assert.ok(Math.abs(y[i] - x[i]) <= 0.2 * amax + 1e-6, `case ${k} element ${i}: ${x[i]} -> ${y[i]}`);
        }
        if (k === 0) assert.ok(y.every((v) => v === 0), 'zeros must stay exactly zero');
      }
    });
  }

  it('Q8_0 reproduces ggml exactly for a known block (d = amax/127, roundf)', () => {
    const x = new Float32Array(32).map((_, i) => (i - 10) / 8);
    const q = quantize(GGMLType.Q8_0, x);
    // amax = 21/8, d = f16(21/8/127)
    assert.equal(q[0] | (q[1] << 8), f32ToF16Bits(Math.fround(21 / 8 / 127)));
    assert.equal((q[2 + 31] << 24) >> 24, 127);
    assert.equal((q[2 + 0] << 24) >> 24, Math.round((-10 / 8) / Math.fround(21 / 8 / 127)));
  });
});
