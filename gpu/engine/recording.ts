// The recording modes `bench --profile` compares in one run (A/B).
import type { GpuModel } from './model';

export const RECORDING_MODES: Record<string, (m: GpuModel) => void> = {
  'per-kernel': () => undefined,
};
