// Flash-decoding reduction: merges the per-split partial (max, sum, acc) of each (token, head) row.
const HD4: u32 = $HDu / 4u;
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
@group(0) @binding(1) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> outp: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let orow = wid.x;
  let stride = P.nTokens * P.nHeads * (HD4 + 1u);
  var m = -1.0e30;
  for (var s = 0u; s < P.nSplits; s++) {
    m = max(m, part[s * stride + orow * (HD4 + 1u) + HD4].x);
  }
  for (var d4 = tid; d4 < HD4; d4 += WG) {
    var l = 0.0;
    var a = vec4<f32>(0.0);
    for (var s = 0u; s < P.nSplits; s++) {
      let b = s * stride + orow * (HD4 + 1u);
      let ml = part[b + HD4];
      let w = exp(ml.x - m);
      l += ml.y * w;
      a += part[b + d4] * w;
    }
    outp[orow * HD4 + d4] = a / l;
  }
}
