// Element-wise kernels of the transformer block. 256 threads per workgroup, 2-D grid
// (index = (wid.y * gridX + wid.x) * 256 + lid) so any length fits the per-dimension dispatch limit.
struct Params {
  n: u32,
  gridX: u32,
  /** biasAdd: length of the bias (row width); the bias is broadcast over rows. */
  width: u32,
  _pad: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

fn index(wid: vec3u, lid: u32) -> u32 {
  return (wid.y * p.gridX + wid.x) * 256u + lid;
}

// Residual add: a += b.
@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, lid);
  if (i < p.n) { a[i] = a[i] + b[i]; }
}

// Bias add broadcast over rows (qwen2 q/k/v biases): a[r, c] += b[c].
@compute @workgroup_size(256)
fn biasAdd(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, lid);
  if (i < p.n) { a[i] = a[i] + b[i % p.width]; }
}

// SwiGLU in place on the gate buffer: a = silu(a) * b, with silu(g) = g / (1 + exp(-g)).
// exp(-g) overflows to +inf for very negative g, which correctly gives -0.
@compute @workgroup_size(256)
fn swiglu(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, lid);
  if (i < p.n) {
    let g = a[i];
    a[i] = g / (1.0 + exp(-g)) * b[i];
  }
}
