// One GPU model, one request at a time: later requests wait their turn (they are queued, not
// cancelled), so two chats or a chat and a summary never interleave on the shared KV cache.
export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get length(): number {
    return this.pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => this.pending--);
  }
}
