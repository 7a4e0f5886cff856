// Mat-vec for decode: y[t][row] = sum_k W[row][k] * x[t][k] for NT (1..4) token vectors.
// One workgroup of WG threads owns NR consecutive rows; its threads stride over the row's 32-value units
// (each unit dequantized once and applied to all NT vectors; scales applied once per unit half, as
// d * sum(q*x) + m * sum(x)), then the workgroup reduces the NR*NT
// partial sums: subgroupAdd + one shared-memory step when subgroups exist, a shared-memory tree otherwise.
// Constants NR, NT, WG are prepended by shader.ts, with the weight type's load_unit.
@group(0) @binding(3) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

var<workgroup> red: array<f32, NR * NT * WG>;

// x values of one unit, with the sums of its two halves (for the per-half offsets s.y / s.w).
struct XU {
  v: array<vec4<f32>, UV>,
  sums: vec2<f32>,
}
fn load_x(base: u32) -> XU {
  var xu: XU;
  for (var i = 0u; i < UV; i++) {
    xu.v[i] = X[base + i];
    let s = dot(xu.v[i], vec4<f32>(1.0));
    if (i < UV / 2u) {
      xu.sums.x += s;
    } else {
      xu.sums.y += s;
    }
  }
  return xu;
}
fn dot_unit(w: UQ, xu: XU) -> f32 {
  var lo = 0.0;
  var hi = 0.0;
  for (var i = 0u; i < UV; i++) {
    if (i < UV / 2u) {
      lo += dot(w.q[i], xu.v[i]);
    } else {
      hi += dot(w.q[i], xu.v[i]);
    }
  }
  return w.s.x * lo + w.s.y * xu.sums.x + w.s.z * hi + w.s.w * xu.sums.y;
}

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
    if (NT == 1u) {
      // One token (decode): load x once per unit and apply it to all NR rows.
      let xu = load_x(P.xOff / 4u + u * UV);
      for (var r = 0u; r < NR; r++) {
        // Rows past the chunk end recompute the last row; their sums are never written.
        acc[r] += dot_unit(unit_q(min(r0 + r, P.rows - 1u), u), xu);
      }
    } else {
      // A few tokens: dequantize each row's unit once and apply it to every token.
      for (var r = 0u; r < NR; r++) {
        let w = unit_q(min(r0 + r, P.rows - 1u), u);
        for (var t = 0u; t < NT; t++) {
          acc[r * NT + t] += dot_unit(w, load_x((P.xOff + t * P.xStride) / 4u + u * UV));
        }
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
      let e = epilogue(v, P.rowBase + row, yi);
      if (P.add != 0u) {
        Y[yi] += e;
      } else {
        Y[yi] = e;
      }
    }
  }
}
