// Re-derives the grouped key copy for positions [startPos, startPos+nTokens) from the neighbour copy
// when a request changes G (prefix reuse across requests): rotating a key by −(j − ⌊j/G⌋) takes it from
// position j to ⌊j/G⌋ (rotations compose), which is far cheaper than recomputing the prefix.
$ENABLE_F16
alias KT = $KT;
const HD: u32 = $HDu;
const NKV: u32 = $NKVu;
const HALF_ROT: u32 = $HALF_ROTu;
const ROT: u32 = $ROTu;
const NEOX: bool = $NEOX;
const WG: u32 = 64u;

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> kN: array<KT>;
@group(0) @binding(2) var<storage, read_write> kG: array<KT>;
@group(0) @binding(3) var<storage, read> rope: array<vec2<f32>>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < HALF_ROT) {
    if (NEOX) { return vec3<u32>(p, p + HALF_ROT, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = ROT + 2u * (p - HALF_ROT);
  return vec3<u32>(a, a + 1u, 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  let pairs = HD / 2u;
  if (idx >= P.nTokens * NKV * pairs) { return; }
  let p = idx % pairs;
  let h = (idx / pairs) % NKV;
  let pos = P.startPos + idx / (pairs * NKV);
  let o = (h * P.capacity + pos) * HD;
  let dims = pairDims(p);
  var x = vec2<f32>(f32(kN[o + dims.x]), f32(kN[o + dims.y]));
  if (dims.z == 1u) {
    let cs = rope[(pos - pos / P.group) * HALF_ROT + p];
    // rotation by the negative angle: (cos, −sin)
    x = vec2<f32>(x.x * cs.x + x.y * cs.y, -x.x * cs.y + x.y * cs.x);
  }
  kG[o + dims.x] = KT(x.x);
  kG[o + dims.y] = KT(x.y);
}
