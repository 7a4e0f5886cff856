// CPU references for the block kernels; tests compare the WGSL kernels against these.

export function rmsNormRef(x: Float32Array, w: Float32Array, rows: number, dim: number, eps: number): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(s / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * w[i];
  }
  return y;
}

export function addRef(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]);
}

export function biasAddRef(a: Float32Array, bias: Float32Array): Float32Array {
  return a.map((v, i) => v + bias[i % bias.length]);
}

export function swigluRef(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
}
