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
// costs plus the second query rotation and the boundary tiles' branch. Both kinds of score enter the
// same softmax. Keys come pre-rotated from the cache (store.wgsl), so no sin/cos per key.
$ENABLE_F16
alias KT = $KT;
const HD: u32 = $HDu;
const HD4: u32 = $HDu / 4u;
const NH: u32 = $NHu;
const NKV: u32 = $NKVu;
const GQ: u32 = $NHu / $NKVu;
const HALF_ROT: u32 = $HALF_ROTu;
const ROT: u32 = $ROTu;
const NEOX: bool = $NEOX;
const SCALE: f32 = $SCALE;
const R: u32 = $Ru;                // rows per workgroup
const BK: u32 = $BKu;              // keys per tile
const WG: u32 = 64u;
const ACC: u32 = $ACCu;            // ceil(R * HD4 / WG) vec4 accumulators per invocation
const NEG: f32 = -1.0e30;          // "no score yet"; finite so exp() differences stay well defined

struct Params {
  startPos: u32, nTokens: u32, group: u32, window: u32,
  se: u32, nSplits: u32, splitLen: u32, capacity: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> kN: array<vec4<KT>>;
@group(0) @binding(3) var<storage, read> kG: array<vec4<KT>>;
@group(0) @binding(4) var<storage, read> vC: array<vec4<KT>>;
@group(0) @binding(5) var<storage, read> rope: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> outp: array<vec4<f32>>;
// Flash-decoding partials: [split][token*NH + head][HD4 + 1] (acc..., (m, l, 0, 0)).
@group(0) @binding(7) var<storage, read_write> part: array<vec4<f32>>;

var<workgroup> qN: array<vec4<f32>, R * HD4>;
var<workgroup> qG: array<vec4<f32>, R * HD4>;
var<workgroup> S: array<f32, R * BK>;
var<workgroup> mRow: array<f32, R>;
var<workgroup> lRow: array<f32, R>;
var<workgroup> aRow: array<f32, R>;

fn pairDims(p: u32) -> vec3<u32> {
  if (p < HALF_ROT) {
    if (NEOX) { return vec3<u32>(p, p + HALF_ROT, 1u); }
    return vec3<u32>(2u * p, 2u * p + 1u, 1u);
  }
  let a = ROT + 2u * (p - HALF_ROT);
  return vec3<u32>(a, a + 1u, 0u);
}

fn rotate(x: vec2<f32>, pos: u32, p: u32) -> vec2<f32> {
  let cs = rope[pos * HALF_ROT + p];
  return vec2<f32>(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}

fn dotN(r: u32, keyBase: u32) -> f32 {
  var s = vec4<f32>(0.0);
  for (var d = 0u; d < HD4; d++) { s += qN[r * HD4 + d] * vec4<f32>(kN[keyBase + d]); }
  return s.x + s.y + s.z + s.w;
}

fn dotG(r: u32, keyBase: u32) -> f32 {
  var s = vec4<f32>(0.0);
  for (var d = 0u; d < HD4; d++) { s += qG[r * HD4 + d] * vec4<f32>(kG[keyBase + d]); }
  return s.x + s.y + s.z + s.w;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let nRows = P.nTokens * GQ;
  let rowBase = wid.x * R;
  let kvh = wid.y;
  let split = wid.z;
  let se = P.se != 0u;
  let W = P.window;
  let lastRow = min(rowBase + R, nRows) - 1u;
  let iMin = P.startPos + rowBase / GQ;
  let iMax = P.startPos + lastRow / GQ;

  // Rotate this workgroup's queries twice (own position, grouped position), pre-scaled by 1/sqrt(HD).
  for (var idx = tid; idx < R * (HD / 2u); idx += WG) {
    let r = idx / (HD / 2u);
    let p = idx % (HD / 2u);
    let row = rowBase + r;
    let dims = pairDims(p);
    var n = vec2<f32>(0.0);
    var g = vec2<f32>(0.0);
    if (row < nRows) {
      let t = row / GQ;
      let head = kvh * GQ + row % GQ;
      let i = P.startPos + t;
      let o = (t * NH + head) * HD;
      let x = vec2<f32>(q[o + dims.x], q[o + dims.y]) * SCALE;
      n = x;
      g = x;
      if (dims.z == 1u) {
        n = rotate(x, i, p);
        if (se) {
          let gp = min(i / P.group + W - W / P.group, P.capacity - 1u);
          g = rotate(x, gp, p);
        }
      }
    }
    qN[r * HD4 + dims.x / 4u][dims.x % 4u] = n.x;
    qN[r * HD4 + dims.y / 4u][dims.y % 4u] = n.y;
    qG[r * HD4 + dims.x / 4u][dims.x % 4u] = g.x;
    qG[r * HD4 + dims.y / 4u][dims.y % 4u] = g.y;
  }
  if (tid < R) {
    mRow[tid] = NEG;
    lRow[tid] = 0.0;
  }
  var acc: array<vec4<f32>, ACC>;
  for (var c = 0u; c < ACC; c++) { acc[c] = vec4<f32>(0.0); }
  workgroupBarrier();

  var kLo = 0u;
  var kHi = iMax + 1u;
  if (P.nSplits > 1u) {
    kLo = split * P.splitLen;
    kHi = min(kHi, kLo + P.splitLen);
  }
  let headBase = kvh * P.capacity;
  for (var j0 = kLo; j0 < kHi; j0 += BK) {
    let j1 = min(j0 + BK, kHi) - 1u;
    // 0: neighbour-only, 1: grouped-only, 2: boundary (workgroup-uniform).
    var kind = 2u;
    if (!se || iMax - j0 < W) { kind = 0u; } else if (iMin >= j1 + W) { kind = 1u; }
    for (var idx = tid; idx < R * BK; idx += WG) {
      let r = idx / BK;
      let j = j0 + idx % BK;
      let row = rowBase + r;
      let i = P.startPos + row / GQ;
      var s = NEG;
      if (row < nRows && j <= j1 && j <= i) {
        let kb = (headBase + j) * HD4;
        if (kind == 0u) {
          s = dotN(r, kb);
        } else if (kind == 1u) {
          s = dotG(r, kb);
        } else if (i - j < W) {
          s = dotN(r, kb);
        } else {
          s = dotG(r, kb);
        }
      }
      S[idx] = s;
    }
    workgroupBarrier();
    if (tid < R) {
      let mOld = mRow[tid];
      var mx = mOld;
      for (var jj = 0u; jj < BK; jj++) { mx = max(mx, S[tid * BK + jj]); }
      var sum = 0.0;
      for (var jj = 0u; jj < BK; jj++) {
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
    let nk = j1 - j0 + 1u;
    for (var c = 0u; c < ACC; c++) {
      let idx = tid + c * WG;
      if (idx < R * HD4) {
        let r = idx / HD4;
        let d4 = idx % HD4;
        var a = acc[c] * aRow[r];
        for (var jj = 0u; jj < nk; jj++) {
          a += S[r * BK + jj] * vec4<f32>(vC[(headBase + j0 + jj) * HD4 + d4]);
        }
        acc[c] = a;
      }
    }
    workgroupBarrier();
  }

  for (var c = 0u; c < ACC; c++) {
    let idx = tid + c * WG;
    if (idx < R * HD4) {
      let r = idx / HD4;
      let d4 = idx % HD4;
      let row = rowBase + r;
      if (row < nRows) {
        let t = row / GQ;
        let head = kvh * GQ + row % GQ;
        let orow = t * NH + head;
        if (P.nSplits > 1u) {
          let pb = (split * P.nTokens * NH + orow) * (HD4 + 1u);
          part[pb + d4] = acc[c];
          if (d4 == 0u) { part[pb + HD4] = vec4<f32>(mRow[r], lRow[r], 0.0, 0.0); }
        } else {
          outp[orow * HD4 + d4] = acc[c] / lRow[r];
        }
      }
    }
  }
}
