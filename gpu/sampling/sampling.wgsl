// Token sampling on the GPU so a decode step reads back one u32 token id instead of the logits.
// `work` holds a copy of the last position's logits (penalised in place by `penalize`).
// Greedy: argmaxPartial (many workgroups) + argmaxFinal (one). Stochastic: `sample`, one workgroup:
//   1. max M and its index (fallback pick),
//   2. top-k threshold by radix select over order-preserving u32 keys (4 passes of 8 bits),
//   3. top-p threshold by binary search over the key space on the T=1 softmax of the top-k set
//      (llama.cpp order: penalties -> top-k -> top-p -> temperature -> draw),
//   4. draw u in [0,1) from the per-step seed (PCG hash) and walk the cumulative mass in index
//      order: per-thread chunk sums, a workgroup scan, then one thread scans its chunk.
struct Params {
  vocab: u32,
  topK: u32,
  seed: u32,
  nPenalty: u32,
  temp: f32,
  topP: f32,
  penalty: f32,
  gridX: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> work: array<f32>;
@group(0) @binding(2) var<storage, read_write> scratch: array<u32>;
@group(0) @binding(3) var<storage, read> penaltyIds: array<u32>;

const WG: u32 = 256u;
var<workgroup> sf: array<f32, WG>;
var<workgroup> su: array<u32, WG>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> shared_u: u32;
var<workgroup> shared_k: u32;
var<workgroup> wf: f32;
var<workgroup> nonFinite: atomic<u32>;

// NaN or ±infinity (exponent bits all set): the model's output is garbage and the request must fail.
fn isNonFinite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

// Repetition penalty (llama.cpp): positive logits divided, negative multiplied; ids are unique.
@compute @workgroup_size(64)
fn penalize(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.nPenalty) { return; }
  let id = penaltyIds[gid.x];
  if (id >= p.vocab) { return; }
  let v = work[id];
  work[id] = select(v * p.penalty, v / p.penalty, v > 0.0);
}

// Greedy, stage 1: each workgroup reduces 256 * 16 logits to (max, first index) in scratch.
const PER_WG: u32 = 4096u;
@compute @workgroup_size(WG)
fn argmaxPartial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.y * p.gridX + wid.x;
  let base = g * PER_WG;
  var best = -3.4e38;
  var bi = 0xffffffffu;
  for (var i = base + li; i < min(base + PER_WG, p.vocab); i += WG) {
    let v = work[i];
    if (isNonFinite(v)) { atomicOr(&nonFinite, 1u); }
    if (v > best || bi == 0xffffffffu) { best = v; bi = i; }
  }
  sf[li] = best;
  su[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (li < s) { better(li, li + s); }
    workgroupBarrier();
  }
  if (li == 0u) {
    scratch[2u * g] = bitcast<u32>(sf[0]);
    // bit 31 of the index word flags a non-finite logit in this workgroup's range (ids are < 2^31)
    scratch[2u * g + 1u] = su[0] | (atomicLoad(&nonFinite) << 31u);
  }
}

// (value, index) pair in slot b beats slot a: larger value, ties to the lower index, invalid loses.
fn better(a: u32, b: u32) {
  let ib = su[b];
  if (ib == 0xffffffffu) { return; }
  let ia = su[a];
  if (ia == 0xffffffffu || sf[b] > sf[a] || (sf[b] == sf[a] && ib < ia)) {
    sf[a] = sf[b];
    su[a] = ib;
  }
}

// Greedy, stage 2: one workgroup reduces the partials; the winner goes to scratch[0], the non-finite
// flag (any partial's bit 31) to scratch[1].
// nPenalty carries the number of partials here (it is not otherwise used in this entry point).
@compute @workgroup_size(WG)
fn argmaxFinal(@builtin(local_invocation_index) li: u32) {
  var best = -3.4e38;
  var bi = 0xffffffffu;
  for (var g = li; g < p.gridX; g += WG) {
    let v = bitcast<f32>(scratch[2u * g]);
    let w = scratch[2u * g + 1u];
    if ((w >> 31u) != 0u) { atomicOr(&nonFinite, 1u); }
    let i = select(w & 0x7fffffffu, 0xffffffffu, w == 0xffffffffu);
    if (i != 0xffffffffu && (bi == 0xffffffffu || v > best || (v == best && i < bi))) { best = v; bi = i; }
  }
  sf[li] = best;
  su[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (li < s) { better(li, li + s); }
    workgroupBarrier();
  }
  workgroupBarrier();
  if (li == 0u) {
    scratch[0] = su[0];
    scratch[1] = atomicLoad(&nonFinite);
  }
}

// Larger float -> larger key, so thresholds on keys are thresholds on logits.
fn keyOf(f: f32) -> u32 {
  let b = bitcast<u32>(f);
  return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn sumF(li: u32, v: f32) -> f32 {
  workgroupBarrier();
  sf[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (li < s) { sf[li] += sf[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { wf = sf[0]; }
  // a uniform value: loop bounds depending on it may contain barriers
  return workgroupUniformLoad(&wf);
}

@compute @workgroup_size(WG)
fn sample(@builtin(local_invocation_index) li: u32) {
  let V = p.vocab;
  let chunk = (V + WG - 1u) / WG;
  let lo = min(li * chunk, V);
  let hi = min(lo + chunk, V);

  // 1. max and its index
  var best = -3.4e38;
  var bi = 0xffffffffu;
  for (var i = lo; i < hi; i++) {
    let v = work[i];
    if (isNonFinite(v)) { atomicOr(&nonFinite, 1u); }
    if (bi == 0xffffffffu || v > best) { best = v; bi = i; }
  }
  sf[li] = best;
  su[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (li < s) { better(li, li + s); }
    workgroupBarrier();
  }
  if (li == 0u) { wf = sf[0]; }
  let M = workgroupUniformLoad(&wf);
  let argmaxId = su[0];

  // 2. top-k threshold key: the k-th largest key, by radix select from the most significant byte.
  var thrKey = 0u;
  if (p.topK > 0u && p.topK < V) {
    if (li == 0u) { shared_u = 0u; shared_k = p.topK; }
    for (var step = 0u; step < 4u; step++) {
      let shift = 24u - step * 8u;
      atomicStore(&hist[li], 0u);
      workgroupBarrier();
      let prefix = shared_u;
      // bits above `shift` must equal the prefix chosen so far
      let maskHi = select(0xffffffffu << (shift + 8u), 0u, shift == 24u);
      for (var i = lo; i < hi; i++) {
        let k = keyOf(work[i]);
        if ((k & maskHi) == prefix) { atomicAdd(&hist[(k >> shift) & 255u], 1u); }
      }
      workgroupBarrier();
      if (li == 0u) {
        var need = shared_k;
        var b = 255i;
        loop {
          let c = atomicLoad(&hist[u32(b)]);
          if (c >= need || b == 0i) { break; }
          need -= c;
          b -= 1i;
        }
        shared_k = need;
        shared_u = prefix | (u32(b) << shift);
      }
      workgroupBarrier();
    }
    thrKey = workgroupUniformLoad(&shared_u);
  }
  let thrK = thrKey;

  // 3. top-p over the T=1 softmax of the top-k candidates
  var z = 0.0;
  for (var i = lo; i < hi; i++) {
    let v = work[i];
    if (keyOf(v) >= thrK) { z += exp(v - M); }
  }
  let Z = sumF(li, z);
  var keep = thrK;
  if (p.topP < 1.0) {
    // largest key t with mass(key >= t) >= topP * Z; mass is monotone non-increasing in t
    var a = thrK;
    var b = keyOf(M);
    let goal = p.topP * Z;
    loop {
      if (a >= b) { break; }
      let mid = a + ((b - a) >> 1u) + ((b - a) & 1u); // ceil of the midpoint, no overflow
      var m = 0.0;
      for (var i = lo; i < hi; i++) {
        let v = work[i];
        if (keyOf(v) >= mid) { m += exp(v - M); }
      }
      let mass = sumF(li, m);
      if (mass >= goal) { a = mid; } else { b = mid - 1u; }
    }
    keep = a;
  }

  // 4. temperature and the draw
  let invT = 1.0 / max(p.temp, 1e-6);
  var mine = 0.0;
  for (var i = lo; i < hi; i++) {
    let v = work[i];
    if (keyOf(v) >= keep) { mine += exp((v - M) * invT); }
  }
  // inclusive scan of the per-thread masses (Hillis-Steele)
  workgroupBarrier();
  sf[li] = mine;
  workgroupBarrier();
  for (var off = 1u; off < WG; off *= 2u) {
    var add = 0.0;
    if (li >= off) { add = sf[li - off]; }
    workgroupBarrier();
    sf[li] += add;
    workgroupBarrier();
  }
  let total = sf[WG - 1u];
  let incl = sf[li];
  let excl = incl - mine;
  let u = f32(pcg(p.seed) >> 8u) * (1.0 / 16777216.0);
  let t = u * total;
  if (li == 0u) {
    scratch[0] = argmaxId;
    scratch[1] = atomicLoad(&nonFinite);
  }
  storageBarrier();
  workgroupBarrier();
  if (mine > 0.0 && t >= excl && t < incl) {
    var c = excl;
    var pick = 0xffffffffu;
    var last = 0xffffffffu;
    for (var i = lo; i < hi; i++) {
      let v = work[i];
      if (keyOf(v) >= keep) {
        last = i;
        c += exp((v - M) * invT);
        if (t < c) { pick = i; break; }
      }
    }
    // rounding can leave t just past this chunk's last kept token: take that token
    scratch[0] = select(pick, last, pick == 0xffffffffu);
  }
}
