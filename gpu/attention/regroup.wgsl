// Re-derives the grouped key copy for positions [startPos, startPos+nTokens) from the neighbour copy
// when a request changes G (prefix reuse across requests): rotating a key by −(j − ⌊j/G⌋) takes it from
// position j to ⌊j/G⌋ (rotations compose), which is far cheaper than recomputing the prefix.
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
  hd4: u32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
// [NKV][capacity][HD] each: reads the neighbour copy (rotated at j), writes the grouped one (at ⌊j/G⌋).
@group(0) @binding(1) var<storage, read> kN: array<KT>;
@group(0) @binding(2) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> kG: array<KT>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < P.halfRot) {
    if ((P.neox != 0u)) { return vec3<u32>(p, p + P.halfRot, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = (2u * P.halfRot) + 2u * (p - P.halfRot);
  return vec3<u32>(a, a + 1u, 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let pairs = HD / 2u;
  if (idx >= P.nTokens * P.nKvHeads * pairs) { return; }
  let p = idx % pairs;
  let h = (idx / pairs) % P.nKvHeads;
  let pos = P.startPos + idx / (pairs * P.nKvHeads);
  let o = (h * P.capacity + pos) * HD;
  let dims = pairDims(p);
  var x = vec2<f32>(f32(kN[o + dims.x]), f32(kN[o + dims.y]));
  if (dims.z == 1u) {
    let cs = rope[(pos - pos / P.group) * P.halfRot + p];
    // rotation by the negative angle: (cos, −sin)
    x = vec2<f32>(x.x * cs.x + x.y * cs.y, -x.x * cs.y + x.y * cs.x);
  }
  kG[o + dims.x] = KT(x.x);
  kG[o + dims.y] = KT(x.y);
}
