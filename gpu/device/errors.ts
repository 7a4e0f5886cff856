// The device errors, in a module of their own (no Dawn) so the extension host can recreate them
// (extension/backend/errors.ts) without loading the GPU runtime.

/** Dawn's directory name for this platform (dist/<platform>-<arch>/dawn.node). */
export function platformDir(): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return `${process.platform}-${arch}`;
}

export class NoAdapterError extends Error {
  constructor(detail: string) {
    super(
      `No WebGPU adapter was found (${detail}). SelfExtend needs a GPU driver with Vulkan (Linux), Metal (macOS) ` +
        `or Direct3D 12 (Windows). On Linux, install your GPU's Vulkan driver, or Mesa's CPU driver for a slow ` +
        `fallback: \`apt-get install libvulkan1 mesa-vulkan-drivers\` (Debian bookworm: from bookworm-backports). ` +
        `Check with \`vulkaninfo --summary\`.`,
    );
    this.name = 'NoAdapterError';
  }
}

export class DeviceRequestError extends Error {
  constructor(cause: unknown) {
    super(`The GPU adapter refused to create a device: ${cause instanceof Error ? cause.message : String(cause)}. Close other GPU-heavy programs and try again, or update your GPU driver.`);
    this.name = 'DeviceRequestError';
  }
}

export class DawnNotFoundError extends Error {
  constructor(tried: string[], cause?: unknown) {
    super(
      `WebGPU runtime (Dawn, dawn.node) for ${platformDir()} could not be loaded. Tried: ${tried.join(', ')}. ` +
        `Reinstall the extension for your platform (the .vsix must match your OS and CPU), or run \`npm ci\` in a checkout.` +
        (cause instanceof Error ? ` Cause: ${cause.message}` : ''),
    );
    this.name = 'DawnNotFoundError';
  }
}
