// Public entry of the inference engine.
export { Engine } from './engine';
export { GpuModel } from './model';
export { DeviceLostError, OutOfMemoryError, CancelledError, ModelDisposedError } from './errors';
export { NonFiniteLogitsError } from '../sampling/gpu-sampler';
export { engineLiveDevices } from './session';
export type * from './types';
