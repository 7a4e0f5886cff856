// What deactivate() does, without vscode so it is tested on the real engine: stop every request in
// flight, let the chats they belong to be saved (history writes finish, no file left half written),
// then free the model, which destroys its GPU device (the engine closes the model file after loading;
// a load still in flight is cancelled and its model freed if it lands). Bounded: a request that does
// not stop within the grace period does not keep VS Code waiting, the device is destroyed anyway.

export interface ShutdownParts {
  /** Chat controllers: dispose() stops the running answer and resolves once its chat is saved. */
  controllers: readonly { dispose(): Promise<void> }[];
  /** The answer backend: aborts requests from other surfaces (language-model provider, participant). */
  backend: { dispose(): void };
  /** Owns the GPU model. */
  models: { dispose(): void };
  log(line: string): void;
}

export const SHUTDOWN_GRACE_MS = 3000;

export class ExtensionShutdown {
  private done: Promise<void> | undefined;

  constructor(private readonly parts: ShutdownParts) {}

  /** Idempotent; resolves when the device is released. Never rejects. */
  dispose(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.done ??= this.run(graceMs);
    return this.done;
  }

  private async run(graceMs: number): Promise<void> {
    const { parts } = this;
    const t0 = Date.now();
    const stopped = Promise.allSettled(parts.controllers.map((c) => c.dispose()));
    this.quietly('backend', () => parts.backend.dispose());
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      stopped.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (late) parts.log(`shutdown: requests still running after ${graceMs} ms; releasing the GPU anyway`);
    this.quietly('models', () => parts.models.dispose());
    parts.log(`shutdown: GPU released in ${Date.now() - t0} ms`);
  }

  private quietly(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.parts.log(`shutdown: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
