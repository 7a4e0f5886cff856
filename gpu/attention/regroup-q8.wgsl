// regroup.wgsl for a q8_0 KV cache: re-derives the grouped key copy of positions [startPos, startPos+nTokens)
// from the neighbour copy when a request changes G — dequantize the row, rotate it by −(j − ⌊j/G⌋),
// quantize again (one more rounding than a key stored directly at ⌊j/G⌋). One invocation per row.

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
  nHeads: u32, nKvHeads: u32, halfRot: u32, neox: u32,
  hd4: u32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> kN: array<u32>;
@group(0) @binding(2) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> kG: array<u32>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < P.halfRot) {
    if ((P.neox != 0u)) { return vec3<u32>(p, p + P.halfRot, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = (2u * P.halfRot) + 2u * (p - P.halfRot);
  return vec3<u32>(a, a + 1u, 0u);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= P.nTokens * P.nKvHeads) { return; }
  let h = idx % P.nKvHeads;
  let pos = P.startPos + idx / P.nKvHeads;
  let o = (h * P.capacity + pos) * ROW;
  for (var w = 0u; w < ROW; w++) { packed[w] = kN[o + w]; }
  dequantizeRow();
  let delta = (pos - pos / P.group) * P.halfRot;
  for (var p = 0u; p < P.halfRot; p++) {
    let dims = pairDims(p);
    let x = vec2<f32>(vals[dims.x], vals[dims.y]);
    let cs = rope[delta + p];
    // rotation by the negative angle: (cos, −sin)
    vals[dims.x] = x.x * cs.x + x.y * cs.y;
    vals[dims.y] = -x.x * cs.y + x.y * cs.x;
  }
  quantizeRow();
  for (var w = 0u; w < ROW; w++) { kG[o + w] = packed[w]; }
}
