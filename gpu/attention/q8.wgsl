// q8_0 KV-cache rows (layout in kv-layout.ts): HD/4 words of signed 8-bit quants, then ⌈HD/64⌉ words of
// f16 block scales (two per word). Shared by store_q8.wgsl and regroup_q8.wgsl (prepended to each); the
// attention kernel reads rows through its own accessors (attend.wgsl's KV_ACCESS for q8_0).
const HD: u32 = $HDu;
const QB: u32 = $QBu;                  // values per block: 32, or HD when HD < 32
const NB: u32 = $HDu / $QBu;           // blocks per row
const ROW: u32 = $KROWu;               // u32 words per row: HD/4 quants + ⌈NB/2⌉ scale words

var<private> vals: array<f32, HD>;
var<private> packed: array<u32, ROW>;

/** Signed byte k (0..3) of w as f32. */
fn q8Byte(w: u32, k: u32) -> f32 {
  return f32(bitcast<i32>(w << (24u - 8u * k)) >> 24u);
}

/** Quantizes `vals` into `packed` as ggml's quantize_row_q8_0 does: d = amax/127, q = round(x/d). */
fn quantizeRow() {
  var scales = vec2<f32>(0.0);
  for (var b = 0u; b < NB; b++) {
    var amax = 0.0;
    for (var i = 0u; i < QB; i++) { amax = max(amax, abs(vals[b * QB + i])); }
    let d = amax / 127.0;
    var id = 0.0;
    if (d > 0.0) { id = 1.0 / d; }
    for (var w = 0u; w < QB / 4u; w++) {
      var word = 0u;
      for (var k = 0u; k < 4u; k++) {
        let q = i32(clamp(round(vals[b * QB + w * 4u + k] * id), -127.0, 127.0));
        word |= (bitcast<u32>(q) & 0xffu) << (8u * k);
      }
      packed[b * (QB / 4u) + w] = word;
    }
    scales[b % 2u] = d;
    if (b % 2u == 1u || b == NB - 1u) {
      packed[HD / 4u + b / 2u] = pack2x16float(scales);
      scales = vec2<f32>(0.0);
    }
  }
}

/** Dequantizes `packed` into `vals`. */
fn dequantizeRow() {
  for (var w = 0u; w < HD / 4u; w++) {
    let b = w / (QB / 4u);
    let d = unpack2x16float(packed[HD / 4u + b / 2u])[b % 2u];
    for (var k = 0u; k < 4u; k++) { vals[w * 4u + k] = d * q8Byte(packed[w], k); }
  }
}
