// Reusable symbol arrays for the merge loops: a fresh set of typed arrays per word would dominate
// the cost of tokenizing many short words (allocation and GC), so one set grows and is reused.
export class SymbolScratch {
  start = new Int32Array(256);
  len = new Int32Array(256);
  prev = new Int32Array(256);
  next = new Int32Array(256);

  ensure(n: number): void {
    if (n <= this.start.length) return;
    const size = Math.max(n, this.start.length * 2);
    this.start = new Int32Array(size);
    this.len = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.next = new Int32Array(size);
  }
}
