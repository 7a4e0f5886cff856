// Public entry of the inference engine.
export { Engine } from './engine';
export { GpuModel } from './model';
export { DeviceLostError, OutOfMemoryError, AbortedError, ModelDisposedError } from './errors';
export { engineLiveDevices } from './session';
export type * from './types';
