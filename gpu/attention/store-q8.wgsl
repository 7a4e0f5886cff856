// store.wgsl for a q8_0 KV cache: rotates the new keys (at j, and at ⌊j/G⌋ for the grouped copy) and
// writes them and the values as q8_0 rows. A block's scale depends on all 32 of its values, and RoPE pairs
// a dimension with one in another block (neox), so one invocation owns one whole row: (token, KV head).

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
  nHeads: u32, nKvHeads: u32, halfRot: u32, neox: u32,
  hd4: u32, lean: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> kIn: array<f32>;
@group(0) @binding(2) var<storage, read> vIn: array<f32>;
// [NKV][capacity][ROW] q8_0 rows each (kv-layout.ts).
@group(0) @binding(3) var<storage, read_write> kN: array<u32>;
@group(0) @binding(4) var<storage, read_write> vC: array<u32>;
@group(0) @binding(5) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> kG: array<u32>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < P.halfRot) {
    if ((P.neox != 0u)) { return vec3<u32>(p, p + P.halfRot, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = (2u * P.halfRot) + 2u * (p - P.halfRot);
  return vec3<u32>(a, a + 1u, 0u);
}

/** vals ← the key of `src` rotated at position `pos` (dimensions past the rotary part unchanged). */
fn rotatedKey(src: u32, pos: u32) {
  for (var p = 0u; p < HD / 2u; p++) {
    let dims = pairDims(p);
    var x = vec2<f32>(kIn[src + dims.x], kIn[src + dims.y]);
    if (dims.z == 1u) {
      let cs = rope[pos * P.halfRot + p];
      x = vec2<f32>(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
    }
    vals[dims.x] = x.x;
    vals[dims.y] = x.y;
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 64u;
  if (idx >= P.nTokens * P.nKvHeads) { return; }
  let h = idx % P.nKvHeads;
  let t = idx / P.nKvHeads;
  let pos = P.startPos + t;
  let src = (t * P.nKvHeads + h) * HD;
  let dst = (h * P.capacity + pos) * ROW;

  rotatedKey(src, pos);
  quantizeRow();
  for (var w = 0u; w < ROW; w++) { kN[dst + w] = packed[w]; }
  if (P.se != 0u && P.lean == 0u) {
    rotatedKey(src, pos / P.group);
    quantizeRow();
    for (var w = 0u; w < ROW; w++) { kG[dst + w] = packed[w]; }
  }
  for (var i = 0u; i < HD; i++) { vals[i] = vIn[src + i]; }
  quantizeRow();
  for (var w = 0u; w < ROW; w++) { vC[dst + w] = packed[w]; }
}
