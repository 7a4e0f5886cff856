// CPU quantization / dequantization for the ggml block types we support, bit-compatible with ggml.
// Used by the GGUF writer (test models), the CPU references of the GPU kernels and the tests.
export { quantize, nearestInt } from './quantize';
export { dequantize } from './dequantize';
export { byteSize, getScaleMinK4, QK_K, typeName } from './layout';
export { f32ToF16Bits, f16BitsToF32, roundF16, f32ToBf16Bits, bf16BitsToF32, f32Bits, f32FromBits } from './half';
