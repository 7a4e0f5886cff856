// The recording modes `bench --profile` compares in one run (A/B): the engine's original recording
// (one pass per kernel, lookups per call, serial decode) and the prepared one (one pass per forward,
// dispatch lists replayed by reference, pipelined decode).
import type { GpuModel } from './model';

export const RECORDING_MODES: Record<string, (m: GpuModel) => void> = {
  'per-kernel': (m) => {
    m.recording = 'per-kernel';
  },
  prepared: (m) => {
    m.recording = 'prepared';
  },
};
