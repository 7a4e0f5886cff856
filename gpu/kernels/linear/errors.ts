// The weight-upload errors, in a module of their own so the extension host can recreate them
// (extension/backend/errors.ts) without bundling the kernels.

export class WeightAllocationError extends Error {
  constructor(
    message: string,
    readonly bytesNeeded: number,
  ) {
    super(message);
    this.name = 'WeightAllocationError';
  }
}

export class UnsupportedWeightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedWeightError';
  }
}
