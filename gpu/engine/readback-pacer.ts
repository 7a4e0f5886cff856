// Waits for a GPU result without spinning. Dawn's Node addon polls the device on the JS thread for as
// long as a map is pending, so the engine maps a readback only when its result is about due: it sleeps
// on a timer for the step's expected GPU time first. The expected time adapts: a map that still had to
// wait more than a millisecond lengthens it, a map that was ready at once shortens it, so the polled
// part of each step stays around a millisecond whatever the step time.
export class ReadbackPacer {
  /** Expected milliseconds from a step's start on the GPU to its result. */
  private lead = 0;

  /** Sleeps until `start + lead` (start: when the GPU began the step, performance.now() time). */
  async wait(start: number): Promise<void> {
    const d = start + this.lead - performance.now();
    if (d > 1) await new Promise((r) => setTimeout(r, d));
  }

  /** mapMs: how long the map itself was pending; stepMs: start to result. */
  observe(mapMs: number, stepMs: number): void {
    if (mapMs > 1) this.lead = Math.min(this.lead + 0.5 * mapMs, stepMs);
    else this.lead *= 0.9;
  }
}
