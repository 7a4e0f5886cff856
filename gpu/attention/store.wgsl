// Rotates the new keys once and writes them into the KV cache: at their own position j (neighbour
// copy) and, under SelfExtend, at ⌊j/G⌋ (grouped copy), so the attention kernels never evaluate sin/cos
// per key. Values are copied as they are. One invocation per (token, kv head, rotation pair).
$ENABLE_F16
alias KT = $KT;
const HD: u32 = $HDu;
const WG: u32 = 64u;

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
  // Shape values kept dynamic so one compiled pipeline serves every head count and rope layout
  // (lavapipe compiles each variant for seconds); HD stays a constant because it sizes arrays.
  nHeads: u32, nKvHeads: u32, halfRot: u32, neox: u32,
  hd4: u32, lean: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> kIn: array<f32>;
@group(0) @binding(2) var<storage, read> vIn: array<f32>;
// [NKV][capacity][HD] each: kN rotated at j (neighbour copy), kG at ⌊j/G⌋ (grouped copy, written only
// under SelfExtend; a placeholder buffer is bound when the module holds no grouped copy). Two buffers,
// not one, so the largest binding is one copy (maxStorageBufferBindingSize).
@group(0) @binding(3) var<storage, read_write> kN: array<KT>;
@group(0) @binding(4) var<storage, read_write> vC: array<KT>;
@group(0) @binding(5) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> kG: array<KT>;

// Dimensions (a, b) handled by pair p, and whether they rotate (pairs past rope.dim pass through).
fn pairDims(p: u32) -> vec3<u32> {
  if (p < P.halfRot) {
    if ((P.neox != 0u)) { return vec3<u32>(p, p + P.halfRot, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = (2u * P.halfRot) + 2u * (p - P.halfRot);
  return vec3<u32>(a, a + 1u, 0u);
}

fn rotate(x: vec2<f32>, pos: u32, p: u32) -> vec2<f32> {
  let cs = rope[pos * P.halfRot + p];
  return vec2<f32>(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let pairs = HD / 2u;
  if (idx >= P.nTokens * P.nKvHeads * pairs) { return; }
  let p = idx % pairs;
  let h = (idx / pairs) % P.nKvHeads;
  let t = idx / (pairs * P.nKvHeads);
  let pos = P.startPos + t;
  let src = (t * P.nKvHeads + h) * HD;
  let dst = (h * P.capacity + pos) * HD;
  let dims = pairDims(p);
  let x = vec2<f32>(kIn[src + dims.x], kIn[src + dims.y]);
  var n = x;
  var g = x;
  if (dims.z == 1u) {
    n = rotate(x, pos, p);
    if (P.se != 0u) { g = rotate(x, pos / P.group, p); }
  }
  kN[dst + dims.x] = KT(n.x);
  kN[dst + dims.y] = KT(n.y);
  if (P.se != 0u && P.lean == 0u) {
    kG[dst + dims.x] = KT(g.x);
    kG[dst + dims.y] = KT(g.y);
  }
  vC[dst + dims.x] = KT(vIn[src + dims.x]);
  vC[dst + dims.y] = KT(vIn[src + dims.y]);
}
