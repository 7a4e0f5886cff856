// Marks stretches of pure-CPU work (chat-template rendering, tokenizing) in which no GPU call is in
// flight. The backend worker shares the counter with the host: a worker that ignores a Stop may be
// terminated only while the counter is non-zero, because ending a thread inside a call into Dawn's
// addon (or with its polling pending) aborts the whole process, and with it VS Code's extension host.
let counter: Int32Array | undefined;

/** Called once by the backend worker with its shared counter; without it sections cost nothing. */
export function shareCpuSections(shared: Int32Array): void {
  counter = shared;
}

export function cpuSection<T>(work: () => T): T {
  const c = counter;
  if (!c) return work();
  Atomics.add(c, 0, 1);
  try {
    return work();
  } finally {
    Atomics.sub(c, 0, 1);
  }
}
