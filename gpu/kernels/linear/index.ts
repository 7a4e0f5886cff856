// GPU linear algebra on quantized weights: upload (upload.ts, layout in layout.ts), kernels (kernels.ts),
// CPU references (reference.ts) and the bandwidth micro-benchmark (bench.ts).
export { uploadWeight, uploadWeightBytes, weightShape, rowsPerChunk, WeightAllocationError } from './upload';
export type { GpuWeight, WeightChunk, WeightInfo, UploadOptions } from './upload';
export { LinearKernels, MATVEC_MAX_TOKENS } from './kernels';
export type { LinearOptions, EmbeddingOptions, LinearKernelsOptions } from './kernels';
export { GPU_LAYOUT, gpuLayout, UnsupportedWeightError } from './layout';
export type { GpuTypeLayout } from './layout';
export { linearRef, embeddingRef } from './reference';
