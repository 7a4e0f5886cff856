// Mat-vec for decode: y[t][row] = sum_k W[row][k] * x[t][k] for NT (1..4) token vectors.
// One workgroup of WG threads owns NR consecutive rows; its threads stride over the row's 32-value units
// (each unit dequantized once and applied to all NT vectors), then the workgroup reduces the NR*NT
// partial sums: subgroupAdd + one shared-memory step when subgroups exist, a shared-memory tree otherwise.
// Constants NR, NT, WG are prepended by shader.ts, with the weight type's load_unit.
@group(0) @binding(3) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

var<workgroup> red: array<f32, NR * NT * WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32
//#if SUBGROUPS
  , @builtin(subgroup_invocation_id) sid: u32, @builtin(subgroup_id) sgid: u32, @builtin(num_subgroups) nsg: u32
//#endif
) {
  let gi = wg.x + wg.y * P.groupsX;
  if (gi >= P.nGroups) {
    return;
  }
  let r0 = gi * NR;
  var acc: array<f32, NR * NT>;
  for (var u = lid; u < P.units; u += WG) {
    for (var r = 0u; r < NR; r++) {
      // Rows past the chunk end recompute the last row; their sums are never written.
      let w = load_unit(min(r0 + r, P.rows - 1u), u);
      for (var t = 0u; t < NT; t++) {
        let xb = (P.xOff + t * P.xStride) / 4u + u * UV;
        var s = 0.0;
        for (var i = 0u; i < UV; i++) {
          s += dot(w[i], X[xb + i]);
        }
        acc[r * NT + t] += s;
      }
    }
  }
//#if SUBGROUPS
  for (var k = 0u; k < NR * NT; k++) {
    let v = subgroupAdd(acc[k]);
    if (sid == 0u) {
      red[k * WG + sgid] = v;
    }
  }
  workgroupBarrier();
  if (lid < NR * NT) {
    var v = 0.0;
    for (var i = 0u; i < nsg; i++) {
      v += red[lid * WG + i];
    }
//#else
  for (var k = 0u; k < NR * NT; k++) {
    red[k * WG + lid] = acc[k];
  }
  workgroupBarrier();
  for (var st = WG / 2u; st > 0u; st >>= 1u) {
    if (lid < st) {
      for (var k = 0u; k < NR * NT; k++) {
        red[k * WG + lid] += red[k * WG + lid + st];
      }
    }
    workgroupBarrier();
  }
  if (lid < NR * NT) {
    let v = red[lid * WG];
//#endif
    let row = r0 + lid / NT;
    let t = lid % NT;
    if (row < P.rows) {
      let yi = P.yOff + t * P.yStride + P.rowBase + row;
      if (P.add != 0u) {
        Y[yi] += v;
      } else {
        Y[yi] = v;
      }
    }
  }
}
