// A binary min-heap of merge candidates (bigrams) on typed arrays, shared by the SPM and BPE merge
// loops. Order: lower `key` first, then lower `left` index — the same total order as llama.cpp's
// llm_bigram_spm / llm_bigram_bpe comparators, which is what makes our merges identical to its.
export class BigramHeap {
  private key = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private size = new Int32Array(64);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  push(key: number, left: number, right: number, size: number): void {
    if (this.length === this.key.length) this.grow();
    let i = this.length++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.key[p] < key || (this.key[p] === key && this.left[p] <= left)) break;
      this.key[i] = this.key[p];
      this.left[i] = this.left[p];
      this.right[i] = this.right[p];
      this.size[i] = this.size[p];
      i = p;
    }
    this.key[i] = key;
    this.left[i] = left;
    this.right[i] = right;
    this.size[i] = size;
  }

  /** Pops the best entry into `out` ([left, right, size]); returns false when empty. */
  pop(out: Int32Array): boolean {
    if (this.length === 0) return false;
    out[0] = this.left[0];
    out[1] = this.right[0];
    out[2] = this.size[0];
    const n = --this.length;
    if (n === 0) return true;
    const k = this.key[n];
    const l = this.left[n];
    const r = this.right[n];
    const s = this.size[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (this.key[c + 1] < this.key[c] || (this.key[c + 1] === this.key[c] && this.left[c + 1] < this.left[c]))) c++;
      if (k < this.key[c] || (k === this.key[c] && l <= this.left[c])) break;
      this.key[i] = this.key[c];
      this.left[i] = this.left[c];
      this.right[i] = this.right[c];
      this.size[i] = this.size[c];
      i = c;
    }
    this.key[i] = k;
    this.left[i] = l;
    this.right[i] = r;
    this.size[i] = s;
    return true;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const k = new Float64Array(n);
    k.set(this.key);
    this.key = k;
    const l = new Int32Array(n);
    l.set(this.left);
    this.left = l;
    const r = new Int32Array(n);
    r.set(this.right);
    this.right = r;
    const s = new Int32Array(n);
    s.set(this.size);
    this.size = s;
  }
}
