// Per-type weight loaders over the repacked layout of layout.ts. Exactly one section is pasted into a
// kernel (see shader.ts). Each defines UV (vec4s per work unit) and
//   load_unit(row, u): the 4*UV dequantized values of unit u (values 4*UV*u ...) of chunk-local `row`,
// computed as ggml's dequantize_row_* does (d * q, d * q + m, d1 * q - m1, ...), and
//   unit_q(row, u): the same values factored as q * s.x + s.y (first UV/2 vec4s) and q * s.z + s.w (the rest),
// which lets the mat-vec apply scales once per unit (sum q*x and sum x) instead of once per value.

//#type F32
const UV: u32 = 1u;
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  return array<vec4<f32>, UV>(bitcast<vec4<f32>>(W4[row * P.units + u]));
}

fn unit_q(row: u32, u: u32) -> UQ {
  return UQ(load_unit(row, u), vec4<f32>(1.0, 0.0, 1.0, 0.0));
}

//#type F16
const UV: u32 = 2u;
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let w = W4[row * P.units + u];
  return array<vec4<f32>, UV>(vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)), vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)));
}

fn unit_q(row: u32, u: u32) -> UQ {
  return UQ(load_unit(row, u), vec4<f32>(1.0, 0.0, 1.0, 0.0));
}

//#type BF16
const UV: u32 = 2u;
fn bf2(w: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let w = W4[row * P.units + u];
  return array<vec4<f32>, UV>(vec4<f32>(bf2(w.x), bf2(w.y)), vec4<f32>(bf2(w.z), bf2(w.w)));
}

fn unit_q(row: u32, u: u32) -> UQ {
  return UQ(load_unit(row, u), vec4<f32>(1.0, 0.0, 1.0, 0.0));
}

//#type Q8_0
const UV: u32 = 8u;
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let g = row * P.units + u;
  let d = f16_at(g);
  let a = W4[2u * g];
  let b = W4[2u * g + 1u];
  return array<vec4<f32>, UV>(i8x4(a.x) * d, i8x4(a.y) * d, i8x4(a.z) * d, i8x4(a.w) * d,
                              i8x4(b.x) * d, i8x4(b.y) * d, i8x4(b.z) * d, i8x4(b.w) * d);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let g = row * P.units + u;
  let d = f16_at(g);
  let a = W4[2u * g];
  let b = W4[2u * g + 1u];
  return UQ(array<vec4<f32>, UV>(i8x4(a.x), i8x4(a.y), i8x4(a.z), i8x4(a.w), i8x4(b.x), i8x4(b.y), i8x4(b.z), i8x4(b.w)),
            vec4<f32>(d, 0.0, d, 0.0));
}

//#type Q4_0
const UV: u32 = 8u;
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let g = row * P.units + u;
  let d = f16_at(g);
  let q = W4[g];
  // Low nibbles of bytes 0..15 are values 0..15, high nibbles values 16..31.
  return array<vec4<f32>, UV>((nib4(q.x, 0u) - 8.0) * d, (nib4(q.y, 0u) - 8.0) * d, (nib4(q.z, 0u) - 8.0) * d, (nib4(q.w, 0u) - 8.0) * d,
                              (nib4(q.x, 4u) - 8.0) * d, (nib4(q.y, 4u) - 8.0) * d, (nib4(q.z, 4u) - 8.0) * d, (nib4(q.w, 4u) - 8.0) * d);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let g = row * P.units + u;
  let d = f16_at(g);
  let q = W4[g];
  return UQ(array<vec4<f32>, UV>(nib4(q.x, 0u), nib4(q.y, 0u), nib4(q.z, 0u), nib4(q.w, 0u), nib4(q.x, 4u), nib4(q.y, 4u), nib4(q.z, 4u), nib4(q.w, 4u)),
            vec4<f32>(d, -8.0 * d, d, -8.0 * d));
}

//#type Q4_1
const UV: u32 = 8u;
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let g = row * P.units + u;
  let dm = unpack2x16float(W[P.offX + g]);
  let q = W4[g];
  return array<vec4<f32>, UV>(nib4(q.x, 0u) * dm.x + dm.y, nib4(q.y, 0u) * dm.x + dm.y, nib4(q.z, 0u) * dm.x + dm.y, nib4(q.w, 0u) * dm.x + dm.y,
                              nib4(q.x, 4u) * dm.x + dm.y, nib4(q.y, 4u) * dm.x + dm.y, nib4(q.z, 4u) * dm.x + dm.y, nib4(q.w, 4u) * dm.x + dm.y);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let g = row * P.units + u;
  let dm = unpack2x16float(W[P.offX + g]);
  let q = W4[g];
  return UQ(array<vec4<f32>, UV>(nib4(q.x, 0u), nib4(q.y, 0u), nib4(q.z, 0u), nib4(q.w, 0u), nib4(q.x, 4u), nib4(q.y, 4u), nib4(q.z, 4u), nib4(q.w, 4u)),
            vec4<f32>(dm.x, dm.y, dm.x, dm.y));
}

//#type Q5_0
const UV: u32 = 8u;
// Fifth bits of values s..s+3: bits s..s+3 of qh.
fn hb4(qh: u32, s: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(qh) >> vec4<u32>(s, s + 1u, s + 2u, s + 3u)) & vec4<u32>(1u)) * 16.0;
}
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let g = row * P.units + u;
  let d = f16_at(g);
  let qh = W[P.offX + g];
  let q = W4[g];
  return array<vec4<f32>, UV>(
    (nib4(q.x, 0u) + hb4(qh, 0u) - 16.0) * d, (nib4(q.y, 0u) + hb4(qh, 4u) - 16.0) * d,
    (nib4(q.z, 0u) + hb4(qh, 8u) - 16.0) * d, (nib4(q.w, 0u) + hb4(qh, 12u) - 16.0) * d,
    (nib4(q.x, 4u) + hb4(qh, 16u) - 16.0) * d, (nib4(q.y, 4u) + hb4(qh, 20u) - 16.0) * d,
    (nib4(q.z, 4u) + hb4(qh, 24u) - 16.0) * d, (nib4(q.w, 4u) + hb4(qh, 28u) - 16.0) * d);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let g = row * P.units + u;
  let d = f16_at(g);
  let qh = W[P.offX + g];
  let q = W4[g];
  return UQ(array<vec4<f32>, UV>(
    nib4(q.x, 0u) + hb4(qh, 0u), nib4(q.y, 0u) + hb4(qh, 4u), nib4(q.z, 0u) + hb4(qh, 8u), nib4(q.w, 0u) + hb4(qh, 12u),
    nib4(q.x, 4u) + hb4(qh, 16u), nib4(q.y, 4u) + hb4(qh, 20u), nib4(q.z, 4u) + hb4(qh, 24u), nib4(q.w, 4u) + hb4(qh, 28u)),
    vec4<f32>(d, -16.0 * d, d, -16.0 * d));
}

//#type Q5_1
const UV: u32 = 8u;
fn hb4(qh: u32, s: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(qh) >> vec4<u32>(s, s + 1u, s + 2u, s + 3u)) & vec4<u32>(1u)) * 16.0;
}
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let g = row * P.units + u;
  let qh = W[P.offX + 2u * g];
  let dm = unpack2x16float(W[P.offX + 2u * g + 1u]);
  let q = W4[g];
  return array<vec4<f32>, UV>(
    (nib4(q.x, 0u) + hb4(qh, 0u)) * dm.x + dm.y, (nib4(q.y, 0u) + hb4(qh, 4u)) * dm.x + dm.y,
    (nib4(q.z, 0u) + hb4(qh, 8u)) * dm.x + dm.y, (nib4(q.w, 0u) + hb4(qh, 12u)) * dm.x + dm.y,
    (nib4(q.x, 4u) + hb4(qh, 16u)) * dm.x + dm.y, (nib4(q.y, 4u) + hb4(qh, 20u)) * dm.x + dm.y,
    (nib4(q.z, 4u) + hb4(qh, 24u)) * dm.x + dm.y, (nib4(q.w, 4u) + hb4(qh, 28u)) * dm.x + dm.y);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let g = row * P.units + u;
  let qh = W[P.offX + 2u * g];
  let dm = unpack2x16float(W[P.offX + 2u * g + 1u]);
  let q = W4[g];
  return UQ(array<vec4<f32>, UV>(
    nib4(q.x, 0u) + hb4(qh, 0u), nib4(q.y, 0u) + hb4(qh, 4u), nib4(q.z, 0u) + hb4(qh, 8u), nib4(q.w, 0u) + hb4(qh, 12u),
    nib4(q.x, 4u) + hb4(qh, 16u), nib4(q.y, 4u) + hb4(qh, 20u), nib4(q.z, 4u) + hb4(qh, 24u), nib4(q.w, 4u) + hb4(qh, 28u)),
    vec4<f32>(dm.x, dm.y, dm.x, dm.y));
}

//#type Q4_K
const UV: u32 = 8u;
// ggml's get_scale_min_k4 for sub-block s; hdr = block words 0..3 (d|dmin, scales[12]).
fn scale_min_k4(hdr: vec4<u32>, s: u32) -> vec2<f32> {
  let dm = unpack2x16float(hdr.x);
  var sc: u32;
  var mn: u32;
  if (s < 4u) {
    sc = byte16(hdr, 4u + s) & 63u;
    mn = byte16(hdr, 8u + s) & 63u;
  } else {
    let b = byte16(hdr, 8u + s);
    sc = (b & 15u) | ((byte16(hdr, s) >> 6u) << 4u);
    mn = (b >> 4u) | ((byte16(hdr, 4u + s) >> 6u) << 4u);
  }
  return vec2<f32>(dm.x * f32(sc), dm.y * f32(mn));
}
// A unit is one 32-value sub-block s of a 256-value super-block (9 vec4 per block).
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let s = u & 7u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let sm = scale_min_k4(W4[9u * g], s);
  let sh = (s & 1u) * 4u;
  let q0 = W4[9u * g + 1u + 2u * (s >> 1u)];
  let q1 = W4[9u * g + 2u + 2u * (s >> 1u)];
  return array<vec4<f32>, UV>(
    nib4(q0.x, sh) * sm.x - sm.y, nib4(q0.y, sh) * sm.x - sm.y, nib4(q0.z, sh) * sm.x - sm.y, nib4(q0.w, sh) * sm.x - sm.y,
    nib4(q1.x, sh) * sm.x - sm.y, nib4(q1.y, sh) * sm.x - sm.y, nib4(q1.z, sh) * sm.x - sm.y, nib4(q1.w, sh) * sm.x - sm.y);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let s = u & 7u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let sm = scale_min_k4(W4[9u * g], s);
  let sh = (s & 1u) * 4u;
  let q0 = W4[9u * g + 1u + 2u * (s >> 1u)];
  let q1 = W4[9u * g + 2u + 2u * (s >> 1u)];
  return UQ(array<vec4<f32>, UV>(nib4(q0.x, sh), nib4(q0.y, sh), nib4(q0.z, sh), nib4(q0.w, sh), nib4(q1.x, sh), nib4(q1.y, sh), nib4(q1.z, sh), nib4(q1.w, sh)),
            vec4<f32>(sm.x, -sm.y, sm.x, -sm.y));
}

//#type Q5_K
const UV: u32 = 8u;
fn scale_min_k4(hdr: vec4<u32>, s: u32) -> vec2<f32> {
  let dm = unpack2x16float(hdr.x);
  var sc: u32;
  var mn: u32;
  if (s < 4u) {
    sc = byte16(hdr, 4u + s) & 63u;
    mn = byte16(hdr, 8u + s) & 63u;
  } else {
    let b = byte16(hdr, 8u + s);
    sc = (b & 15u) | ((byte16(hdr, s) >> 6u) << 4u);
    mn = (b >> 4u) | ((byte16(hdr, 4u + s) >> 6u) << 4u);
  }
  return vec2<f32>(dm.x * f32(sc), dm.y * f32(mn));
}
// 11 vec4 per block: header, qh[32] (2 vec4), qs[128] (8 vec4). Value l of sub-block s takes bit s of qh[l].
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let s = u & 7u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let sm = scale_min_k4(W4[11u * g], s);
  let sh = (s & 1u) * 4u;
  let h0 = W4[11u * g + 1u];
  let h1 = W4[11u * g + 2u];
  let q0 = W4[11u * g + 3u + 2u * (s >> 1u)];
  let q1 = W4[11u * g + 4u + 2u * (s >> 1u)];
  return array<vec4<f32>, UV>(
    (nib4(q0.x, sh) + 16.0 * bit4(h0.x, s)) * sm.x - sm.y, (nib4(q0.y, sh) + 16.0 * bit4(h0.y, s)) * sm.x - sm.y,
    (nib4(q0.z, sh) + 16.0 * bit4(h0.z, s)) * sm.x - sm.y, (nib4(q0.w, sh) + 16.0 * bit4(h0.w, s)) * sm.x - sm.y,
    (nib4(q1.x, sh) + 16.0 * bit4(h1.x, s)) * sm.x - sm.y, (nib4(q1.y, sh) + 16.0 * bit4(h1.y, s)) * sm.x - sm.y,
    (nib4(q1.z, sh) + 16.0 * bit4(h1.z, s)) * sm.x - sm.y, (nib4(q1.w, sh) + 16.0 * bit4(h1.w, s)) * sm.x - sm.y);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let s = u & 7u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let sm = scale_min_k4(W4[11u * g], s);
  let sh = (s & 1u) * 4u;
  let h0 = W4[11u * g + 1u];
  let h1 = W4[11u * g + 2u];
  let q0 = W4[11u * g + 3u + 2u * (s >> 1u)];
  let q1 = W4[11u * g + 4u + 2u * (s >> 1u)];
  return UQ(array<vec4<f32>, UV>(
    nib4(q0.x, sh) + 16.0 * bit4(h0.x, s), nib4(q0.y, sh) + 16.0 * bit4(h0.y, s), nib4(q0.z, sh) + 16.0 * bit4(h0.z, s), nib4(q0.w, sh) + 16.0 * bit4(h0.w, s),
    nib4(q1.x, sh) + 16.0 * bit4(h1.x, s), nib4(q1.y, sh) + 16.0 * bit4(h1.y, s), nib4(q1.z, sh) + 16.0 * bit4(h1.z, s), nib4(q1.w, sh) + 16.0 * bit4(h1.w, s)),
    vec4<f32>(sm.x, -sm.y, sm.x, -sm.y));
}

//#type Q6_K
const UV: u32 = 8u;
// Four 6-bit values (minus 32): low nibbles from word l at shift shl, high 2 bits from word h at shift shh.
fn q6x4(l: u32, h: u32, shl: u32, shh: u32) -> vec4<f32> {
  let lo = (vec4<u32>(l) >> vec4<u32>(shl, shl + 8u, shl + 16u, shl + 24u)) & vec4<u32>(15u);
  let hi = (vec4<u32>(h) >> vec4<u32>(shh, shh + 8u, shh + 16u, shh + 24u)) & vec4<u32>(3u);
  return vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0;
}
// 13 vec4 per block: ql[128] (8), qh[64] (4), scales[16] (1); d in the F section. Unit s covers
// half n = s/4, quarter q = s%4 of ggml's dequantize_row_q6_K loop.
fn load_unit(row: u32, u: u32) -> array<vec4<f32>, UV> {
  let s = u & 7u;
  let n = s >> 2u;
  let q = s & 3u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let d = f16_at(g);
  let l0 = W4[13u * g + 4u * n + 2u * (q & 1u)];
  let l1 = W4[13u * g + 4u * n + 2u * (q & 1u) + 1u];
  let h0 = W4[13u * g + 8u + 2u * n];
  let h1 = W4[13u * g + 9u + 2u * n];
  let scv = W4[13u * g + 12u];
  let k = 8u * n + 2u * q;
  let d0 = d * f32(bitcast<i32>(byte16(scv, k) << 24u) >> 24u);
  let d1 = d * f32(bitcast<i32>(byte16(scv, k + 1u) << 24u) >> 24u);
  let shl = 4u * (q >> 1u);
  let shh = 2u * q;
  return array<vec4<f32>, UV>(
    q6x4(l0.x, h0.x, shl, shh) * d0, q6x4(l0.y, h0.y, shl, shh) * d0, q6x4(l0.z, h0.z, shl, shh) * d0, q6x4(l0.w, h0.w, shl, shh) * d0,
    q6x4(l1.x, h1.x, shl, shh) * d1, q6x4(l1.y, h1.y, shl, shh) * d1, q6x4(l1.z, h1.z, shl, shh) * d1, q6x4(l1.w, h1.w, shl, shh) * d1);
}

fn unit_q(row: u32, u: u32) -> UQ {
  let s = u & 7u;
  let n = s >> 2u;
  let q = s & 3u;
  let g = row * (P.units >> 3u) + (u >> 3u);
  let d = f16_at(g);
  let l0 = W4[13u * g + 4u * n + 2u * (q & 1u)];
  let l1 = W4[13u * g + 4u * n + 2u * (q & 1u) + 1u];
  let h0 = W4[13u * g + 8u + 2u * n];
  let h1 = W4[13u * g + 9u + 2u * n];
  let scv = W4[13u * g + 12u];
  let k = 8u * n + 2u * q;
  let d0 = d * f32(bitcast<i32>(byte16(scv, k) << 24u) >> 24u);
  let d1 = d * f32(bitcast<i32>(byte16(scv, k + 1u) << 24u) >> 24u);
  let shl = 4u * (q >> 1u);
  let shh = 2u * q;
  // q6x4 subtracts 32; add it back so the offset goes through the (d, m) pair like the other types.
  return UQ(array<vec4<f32>, UV>(
    q6x4(l0.x, h0.x, shl, shh) + 32.0, q6x4(l0.y, h0.y, shl, shh) + 32.0, q6x4(l0.z, h0.z, shl, shh) + 32.0, q6x4(l0.w, h0.w, shl, shh) + 32.0,
    q6x4(l1.x, h1.x, shl, shh) + 32.0, q6x4(l1.y, h1.y, shl, shh) + 32.0, q6x4(l1.z, h1.z, shl, shh) + 32.0, q6x4(l1.w, h1.w, shl, shh) + 32.0),
    vec4<f32>(d0, -32.0 * d0, d1, -32.0 * d1));
}

