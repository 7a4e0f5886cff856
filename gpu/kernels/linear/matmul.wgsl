// Tiled mat-mul for prefill: Y[t][row] = sum_k W[row][k] * X[t][k] over a tile of TM rows × TN tokens.
// Each K step dequantizes a TM × 32 slice of W once into shared memory (one 32-value unit per row for
// quantized types) and stages TN × 32 activations; each of the 64 threads then accumulates 4 rows × TN/4
// tokens in f32 registers (the FMA block is unrolled by shader.ts). Constants come from shader.ts; tiles past the edges are zero-filled.
@group(0) @binding(3) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

const TM: u32 = 64u;
const TK: u32 = 32u;
const UPT: u32 = TK / (UV * 4u); // load units per K step

var<workgroup> Ws: array<vec4<f32>, TK * TM / 4u>; // [k][row/4]: row r of step k at Ws[k*16 + r/4][r%4]
var<workgroup> Xs: array<vec4<f32>, TK * TN / 4u>; // [k][token/4]: token n of step k at Xs[k*(TN/4) + n/4][n%4]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gi = wg.x + wg.y * P.groupsX;
  if (gi >= P.nGroups) {
    return;
  }
  let m0 = (gi % P.rowTiles) * TM;
  let n0 = (gi / P.rowTiles) * TN;
  // This thread's outputs: rows m0 + 4*tm .. +3 and tokens n0 + 4*tn + 16*h + c (h < TN/16, c < 4).
  let tm = lid % 16u;
  let tn = lid / 16u;
  var acc: array<vec4<f32>, TN / 4u>; // acc[4*h + c][i]: token 4*tn + 16*h + c, row 4*tm + i
  let nKT = (P.nIn + TK - 1u) / TK;
  for (var kt = 0u; kt < nKT; kt++) {
    for (var i = lid; i < TM * UPT; i += 64u) {
      let m = i / UPT;
      let j = i % UPT;
      let u = kt * UPT + j;
      let row = m0 + m;
      var w: array<vec4<f32>, UV>;
      if (row < P.rows && u < P.units) {
        w = load_unit(row, u);
      }
      for (var v = 0u; v < UV; v++) {
        let k = (j * UV + v) * 4u;
        Ws[k * 16u + m / 4u][m % 4u] = w[v].x;
        Ws[(k + 1u) * 16u + m / 4u][m % 4u] = w[v].y;
        Ws[(k + 2u) * 16u + m / 4u][m % 4u] = w[v].z;
        Ws[(k + 3u) * 16u + m / 4u][m % 4u] = w[v].w;
      }
    }
    for (var i = lid; i < TN * (TK / 4u); i += 64u) {
      let n = i / (TK / 4u);
      let kv = i % (TK / 4u);
      let t = n0 + n;
      let k4 = kt * (TK / 4u) + kv;
      var xv = vec4<f32>(0.0);
      if (t < P.nTokens && k4 * 4u < P.nIn) {
        xv = X[(P.xOff + t * P.xStride) / 4u + k4];
      }
      Xs[(kv * 4u) * (TN / 4u) + n / 4u][n % 4u] = xv.x;
      Xs[(kv * 4u + 1u) * (TN / 4u) + n / 4u][n % 4u] = xv.y;
      Xs[(kv * 4u + 2u) * (TN / 4u) + n / 4u][n % 4u] = xv.z;
      Xs[(kv * 4u + 3u) * (TN / 4u) + n / 4u][n % 4u] = xv.w;
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a = Ws[k * 16u + tm];
      //#GEN_TILE_FMA
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < TN / 4u; j++) {
    let t = n0 + (j / 4u) * 16u + tn * 4u + (j % 4u);
    if (t >= P.nTokens) {
      continue;
    }
    for (var i = 0u; i < 4u; i++) {
      let row = m0 + tm * 4u + i;
      if (row < P.rows) {
        let yi = P.yOff + t * P.yStride + P.rowBase + row;
        let e = epilogue(acc[j][i], P.rowBase + row, yi);
        if (P.add != 0u) {
          Y[yi] += e;
        } else {
          Y[yi] = e;
        }
      }
    }
  }
}
