// Embedding gather: Y[yOff + t*yStride + k] = W[ids[xOff + t]][k], dequantized. One workgroup per token;
// a dispatch per weight chunk, where tokens whose id lives in another chunk return at once.
@group(0) @binding(3) var<storage, read> IDS: array<u32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.x + wg.y * P.groupsX;
  if (t >= P.nTokens) {
    return;
  }
  let id = IDS[P.xOff + t];
  if (id < P.rowBase || id - P.rowBase >= P.rows) {
    return;
  }
  let row = id - P.rowBase;
  let ob = P.yOff + t * P.yStride;
  for (var u = lid; u < P.units; u += 64u) {
    let w = load_unit(row, u);
    for (var v = 0u; v < UV; v++) {
      let k = ob + (u * UV + v) * 4u;
      Y[k] = w[v].x;
      Y[k + 1u] = w[v].y;
      Y[k + 2u] = w[v].z;
      Y[k + 3u] = w[v].w;
    }
  }
}
