// Shared by the linear kernels: per-dispatch parameters and bindings. One bind group layout serves every
// kernel (binding 3 is x for mat-vec/mat-mul and the token ids for the embedding gather).
struct Params {
  nIn: u32,       // values per weight row
  rows: u32,      // rows in this weight chunk
  rowBase: u32,   // global index of the chunk's first row
  nTokens: u32,
  units: u32,     // 32-value work units per row (4- or 8-value blocks for float types)
  offX: u32,      // word offset of the X section
  offF: u32,      // word offset of the F section (f16 scales)
  groupsX: u32,   // dispatch width, to linearise 2-D dispatches
  xOff: u32,      // x[t][k] = X[xOff + t*xStride + k] (elements; multiples of 4)
  xStride: u32,
  yOff: u32,      // y[t][row] = Y[yOff + t*yStride + row]
  yStride: u32,
  add: u32,       // 1: accumulate into y (residual fusion)
  nGroups: u32,   // workgroups doing work (the rest of a 2-D grid return at once)
  rowTiles: u32,  // mat-mul: row tiles per token tile
  epilogue: u32,  // 0: none; 1: + bias E[rowBase + row]; 2: SwiGLU, silu(E[yi]) * value (gate in E, laid out as y)
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> W4: array<vec4<u32>>;
// Epilogue operand (bias or SwiGLU gate); bound to x when there is no epilogue.
@group(0) @binding(5) var<storage, read> E: array<f32>;

// The value stored for output yi (global row `grow`): the fused bias add or SwiGLU, as elementwise.wgsl computes them.
fn epilogue(v: f32, grow: u32, yi: u32) -> f32 {
  if (P.epilogue == 1u) {
    return v + E[grow];
  }
  if (P.epilogue == 2u) {
    let g = E[yi];
    return g / (1.0 + exp(-g)) * v;
  }
  return v;
}

fn f16_at(i: u32) -> f32 {
  return unpack2x16float(W[P.offF + (i >> 1u)])[i & 1u];
}
// Four signed bytes of a word, as floats (element order = byte order).
fn i8x4(w: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4<u32>(24u));
}
// Nibbles of the four bytes of a word, low (sh = 0) or high (sh = 4).
fn nib4(w: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(w) >> vec4<u32>(sh, sh + 8u, sh + 16u, sh + 24u)) & vec4<u32>(15u));
}
// Bit `b` of each of the four bytes of a word, as 0/1.
fn bit4(w: u32, b: u32) -> vec4<f32> {
  return vec4<f32>((vec4<u32>(w) >> vec4<u32>(b, b + 8u, b + 16u, b + 24u)) & vec4<u32>(1u));
}
// Byte k (0..15) of a vec4<u32>.
fn byte16(v: vec4<u32>, k: u32) -> u32 {
  return (v[k >> 2u] >> ((k & 3u) * 8u)) & 255u;
}
// A work unit factored as (q, scales): see dequant.wgsl's unit_q.
struct UQ {
  q: array<vec4<f32>, UV>,
  s: vec4<f32>,
}
