// Fused SelfExtend attention, flash-style: no score matrix beyond one R × BK tile in workgroup memory.
//
// A workgroup owns R "rows" — (query token, head) pairs that share one KV head (GQA heads of a token are
// adjacent rows, so K/V reads are shared) — and walks the key tiles [0, last query] (or one split of
// them, for flash-decoding) with an online softmax. Each key tile is classified against the rows'
// query positions [iMin, iMax]:
//   neighbour-only (iMax − j0 < W, or plain attention): q rotated at i · key rotated at j;
//   grouped-only   (iMin − j1 >= W): q rotated at ⌊i/G⌋+W−⌊W/G⌋ · key rotated at ⌊j/G⌋;
//   boundary:      per pair, whichever of the two applies.
// Every (query, key) pair computes exactly one dot product, so SelfExtend costs what plain attention
// costs plus the second query rotation and the boundary tiles' per-pair choice. Both kinds of score
// enter the same softmax. Keys come pre-rotated from the cache (store.wgsl), so no sin/cos per key.
// The two query rotations live in one workgroup array; the two key copies are separate bindings (so the
// largest binding is one copy), read at two small dot-product sites chosen per pair.
$ENABLE_F16
const HD: u32 = $HDu;
const HD4: u32 = $HDu / 4u;
const SCALE: f32 = $SCALE;
const R: u32 = $Ru;                // rows per workgroup
const BK: u32 = $BKu;              // keys per tile
const WG: u32 = 64u;
const NEG: f32 = -1.0e30;          // "no score yet"; finite so exp() differences stay well defined

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
  // Shape values kept dynamic so one compiled pipeline serves every head count and rope layout
  // (lavapipe compiles each variant for seconds); HD stays a constant because it sizes arrays.
  nHeads: u32, nKvHeads: u32, halfRot: u32, neox: u32,
  hd4: u32, lean: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
// [P.nKvHeads][capacity][KROW]: kN rotated at j, kG (binding 7) rotated at ⌊j/G⌋, vC; under plain
// attention kG is a placeholder that is never read. Bindings 2, 3 and 7 and their readers kN4/kG4/v4
// (four dimensions from a vec4 index) and kN1 (one dimension) are spliced in by pipelines.ts per KV cache type:
// f16/f32 rows of vec4<KT>, or q8_0 rows (kv-layout.ts) dequantized as they are read.
const KROW: u32 = $KROWu;
$KV_ACCESS
@group(0) @binding(4) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> outp: array<vec4<f32>>;
// Flash-decoding partials: [split][token*P.nHeads + head][HD4 + 1] (acc..., (m, l, 0, 0)).
@group(0) @binding(6) var<storage, read_write> part: array<vec4<f32>>;

// [2][R][HD4]: row r's query rotated at i (copy 0) and at ⌊i/G⌋+W−⌊W/G⌋ (copy 1), pre-scaled.
var<workgroup> qs: array<vec4<f32>, 2u * R * HD4>;
var<workgroup> O: array<vec4<f32>, R * HD4>;
var<workgroup> S: array<f32, R * BK>;
var<workgroup> mRow: array<f32, R>;
var<workgroup> lRow: array<f32, R>;
var<workgroup> aRow: array<f32, R>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < P.halfRot) {
    if ((P.neox != 0u)) { return vec3<u32>(p, p + P.halfRot, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = (2u * P.halfRot) + 2u * (p - P.halfRot);
  return vec3<u32>(a, a + 1u, 0u);
}

fn rotate(x: vec2<f32>, pos: u32, p: u32) -> vec2<f32> {
  let cs = rope[pos * P.halfRot + p];
  return vec2<f32>(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let GQ_ = P.nHeads / P.nKvHeads;
  let nRows = P.nTokens * GQ_;
  let rowBase = wid.x * R;
  let kvh = wid.y;
  let split = wid.z;
  let se = P.se != 0u;
  let W = P.window;
  let lastRow = min(rowBase + R, nRows) - 1u;
  let iMin = P.startPos + rowBase / GQ_;
  let iMax = P.startPos + lastRow / GQ_;

  for (var idx = tid; idx < R * (HD / 2u); idx += WG) {
    let r = idx / (HD / 2u);
    let p = idx % (HD / 2u);
    let row = rowBase + r;
    let dims = pairDims(p);
    var n = vec2<f32>(0.0);
    var g = vec2<f32>(0.0);
    if (row < nRows) {
      let t = row / GQ_;
      let head = kvh * GQ_ + row % GQ_;
      let i = P.startPos + t;
      let o = (t * P.nHeads + head) * HD;
      let x = vec2<f32>(q[o + dims.x], q[o + dims.y]) * SCALE;
      n = x;
      g = x;
      if (dims.z == 1u) {
        n = rotate(x, i, p);
        if (se) { g = rotate(x, min(i / P.group + W - W / P.group, P.capacity - 1u), p); }
      }
    }
    qs[r * HD4 + dims.x / 4u][dims.x % 4u] = n.x;
    qs[r * HD4 + dims.y / 4u][dims.y % 4u] = n.y;
    qs[(R + r) * HD4 + dims.x / 4u][dims.x % 4u] = g.x;
    qs[(R + r) * HD4 + dims.y / 4u][dims.y % 4u] = g.y;
  }
  for (var idx = tid; idx < R * HD4; idx += WG) { O[idx] = vec4<f32>(0.0); }
  if (tid < R) {
    mRow[tid] = NEG;
    lRow[tid] = 0.0;
  }
  workgroupBarrier();

  var kLo = 0u;
  var kHi = iMax + 1u;
  if (P.nSplits > 1u) {
    kLo = split * P.splitLen;
    kHi = min(kHi, kLo + P.splitLen);
  }
  let headBase = kvh * P.capacity;
  for (var j0 = kLo; j0 < kHi; j0 += BK) {
    let nk = min(BK, kHi - j0);
    let j1 = j0 + nk - 1u;
    // Tile class, uniform over the workgroup: 0 neighbour-only, 1 grouped-only, 2 boundary.
    var kind = 2u;
    if (!se || iMax - j0 < W) { kind = 0u; } else if (iMin >= j1 + W) { kind = 1u; }
    for (var idx = tid; idx < R * BK; idx += WG) {
      let r = idx / BK;
      let j = j0 + idx % BK;
      let row = rowBase + r;
      let i = P.startPos + row / GQ_;
      var s = NEG;
      if (row < nRows && j <= j1 && j <= i) {
        var c = kind;
        if (kind == 2u) { c = select(1u, 0u, i - j < W); }
        let qb = (c * R + r) * HD4;
        let kb = (headBase + j) * KROW;
        var acc = vec4<f32>(0.0);
        if (c == 0u) {
          for (var d = 0u; d < P.hd4; d++) { acc += qs[qb + d] * kN4(kb, d); }
        } else if (P.lean == 0u) {
          for (var d = 0u; d < P.hd4; d++) { acc += qs[qb + d] * kG4(kb, d); }
        } else {
          // Memory-lean SelfExtend: no grouped copy; the key is turned from j to ⌊j/G⌋ here, a rotation
          // by −(j − ⌊j/G⌋) (rotations compose), from the same f64-computed table.
          let delta = (j - j / P.group) * P.halfRot;
          var s2 = 0.0;
          for (var p = 0u; p < HD / 2u; p++) {
            let dims = pairDims(p);
            var kk = vec2<f32>(kN1(kb, dims.x), kN1(kb, dims.y));
            if (dims.z == 1u) {
              let cs = rope[delta + p];
              kk = vec2<f32>(kk.x * cs.x + kk.y * cs.y, -kk.x * cs.y + kk.y * cs.x);
            }
            s2 += qs[qb + dims.x / 4u][dims.x % 4u] * kk.x + qs[qb + dims.y / 4u][dims.y % 4u] * kk.y;
          }
          acc = vec4<f32>(s2, 0.0, 0.0, 0.0);
        }
        s = acc.x + acc.y + acc.z + acc.w;
      }
      S[idx] = s;
    }
    workgroupBarrier();
    if (tid < R) {
      let mOld = mRow[tid];
      var mx = mOld;
      for (var jj = 0u; jj < nk; jj++) { mx = max(mx, S[tid * BK + jj]); }
      var sum = 0.0;
      for (var jj = 0u; jj < nk; jj++) {
        let s = S[tid * BK + jj];
        var pj = 0.0;
        if (s > NEG) { pj = exp(s - mx); }
        S[tid * BK + jj] = pj;
        sum += pj;
      }
      let alpha = exp(mOld - mx);
      aRow[tid] = alpha;
      lRow[tid] = lRow[tid] * alpha + sum;
      mRow[tid] = mx;
    }
    workgroupBarrier();
    for (var idx = tid; idx < R * HD4; idx += WG) {
      let r = idx / HD4;
      let d4 = idx % HD4;
      var a = O[idx] * aRow[r];
      for (var jj = 0u; jj < nk; jj++) {
        a += S[r * BK + jj] * v4((headBase + j0 + jj) * KROW, d4);
      }
      O[idx] = a;
    }
    workgroupBarrier();
  }

  for (var idx = tid; idx < R * HD4; idx += WG) {
    let r = idx / HD4;
    let d4 = idx % HD4;
    let row = rowBase + r;
    if (row < nRows) {
      let t = row / GQ_;
      let orow = t * P.nHeads + kvh * GQ_ + row % GQ_;
      if (P.nSplits > 1u) {
        let pb = (split * P.nTokens * P.nHeads + orow) * (HD4 + 1u);
        part[pb + d4] = O[idx];
        if (d4 == 0u) { part[pb + HD4] = vec4<f32>(mRow[r], lRow[r], 0.0, 0.0); }
      } else {
        outp[orow * HD4 + d4] = O[idx] / lRow[r];
      }
    }
  }
}
