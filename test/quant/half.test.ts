import * as assert from 'node:assert/strict';
import { f32ToF16Bits, f16BitsToF32, f32ToBf16Bits, bf16BitsToF32 } from '../../gpu/quant';

describe('quant: f16 / bf16 conversion', () => {
  it('converts exact and boundary f16 values', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // max finite
      [65519.99, 0x7bff], // rounds down below the midpoint
      [65520, 0x7c00], // midpoint rounds to even: inf
      [1e9, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half of it: ties to even (0)
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002], // 1.5 subnormal ulps: ties to even (2)
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and next: even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between next and next+1: even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway
    ];
    for (const [v, bits] of cases) assert.equal(f32ToF16Bits(v).toString(16), bits.toString(16), `f16(${v})`);
    assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
  });

  it('round-trips every f16 bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) {
        assert.equal(h & 0x7c00, 0x7c00);
        continue;
      }
      assert.equal(f32ToF16Bits(v), h, `bits ${h.toString(16)}`);
    }
  });

  it('converts bf16 with round-to-nearest-even like ggml', () => {
    assert.equal(f32ToBf16Bits(1), 0x3f80);
    assert.equal(f32ToBf16Bits(-1), 0xbf80);
    // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: even -> 1.
    assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80);
    assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
    assert.equal(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81);
    assert.equal(bf16BitsToF32(0x4049), 3.140625);
    assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
    assert.equal(f32ToBf16Bits(Infinity), 0x7f80);
  });
});
