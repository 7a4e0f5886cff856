// RMSNorm over rows: y[r, i] = x[r, i] / sqrt(mean(x[r, :]^2) + eps) * w[i % wLen].
// One workgroup per row. Also used for qwen3's per-head q/k norm (rows = tokens * heads, dim = headDim)
// and for the final norm (xOff selects the first row to read, e.g. only the last token).
struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
  gridX: u32,
  xOff: u32,
  yOff: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.y * p.gridX + wid.x;
  if (row >= p.rows) { return; }
  let xb = p.xOff + row * p.dim;
  var s = 0.0;
  for (var i = li; i < p.dim; i += WG) {
    let v = x[xb + i];
    s += v * v;
  }
  partial[li] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (li < stride) { partial[li] += partial[li + stride]; }
    workgroupBarrier();
  }
  let scale = inverseSqrt(partial[0] / f32(p.dim) + p.eps);
  let yb = p.yOff + row * p.dim;
  for (var i = li; i < p.dim; i += WG) {
    y[yb + i] = x[xb + i] * scale * w[i];
  }
}
