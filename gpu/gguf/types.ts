// Shared GGUF vocabulary: tensor types, metadata values and the parsed file interface.
// Owned by the GGUF reader; other modules import these types only.

/** ggml tensor type ids as stored in GGUF files (only the ones we support by name). */
export enum GGMLType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
}

/** Elements per block and bytes per block for each supported type. */
export const GGML_BLOCK: Readonly<Record<GGMLType, { blockSize: number; typeSize: number }>> = {
  [GGMLType.F32]: { blockSize: 1, typeSize: 4 },
  [GGMLType.F16]: { blockSize: 1, typeSize: 2 },
  [GGMLType.BF16]: { blockSize: 1, typeSize: 2 },
  [GGMLType.Q4_0]: { blockSize: 32, typeSize: 18 },
  [GGMLType.Q4_1]: { blockSize: 32, typeSize: 20 },
  [GGMLType.Q5_0]: { blockSize: 32, typeSize: 22 },
  [GGMLType.Q5_1]: { blockSize: 32, typeSize: 24 },
  [GGMLType.Q8_0]: { blockSize: 32, typeSize: 34 },
  [GGMLType.Q4_K]: { blockSize: 256, typeSize: 144 },
  [GGMLType.Q5_K]: { blockSize: 256, typeSize: 176 },
  [GGMLType.Q6_K]: { blockSize: 256, typeSize: 210 },
};

export enum GGUFValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** 64-bit integers are bigint; every other number is a JS number; arrays are typed where possible. */
export type GGUFScalar = number | bigint | boolean | string;
export type GGUFValue = GGUFScalar | GGUFArray;
export interface GGUFArray {
  readonly elementType: GGUFValueType;
  readonly values: readonly GGUFValue[];
}
export interface GGUFMetadataEntry {
  readonly key: string;
  readonly type: GGUFValueType;
  readonly value: GGUFValue;
}

export interface GGUFTensorInfo {
  readonly name: string;
  /** ggml order: dims[0] is the innermost (contiguous) dimension, e.g. [nIn, nOut] for a weight. */
  readonly dims: readonly number[];
  /** Raw type id from the file; may be outside GGMLType for files we only inspect. */
  readonly type: number;
  /** Absolute byte offset of the tensor data in the file. */
  readonly fileOffset: number;
  /** Bytes of data; -1 when the type id is not in ggml's type table (such a tensor cannot be read). */
  readonly byteLength: number;
  readonly nElements: number;
}

export interface GGUFFile {
  readonly path: string;
  readonly version: number;
  readonly fileSize: number;
  readonly alignment: number;
  /** Absolute offset of the tensor data section. */
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GGUFMetadataEntry>;
  readonly tensors: readonly GGUFTensorInfo[];
  tensor(name: string): GGUFTensorInfo | undefined;
  /** Typed accessors: throw GGUFError naming the key when missing or of the wrong type. */
  getString(key: string): string;
  getNumber(key: string): number;
  getOptional(key: string): GGUFValue | undefined;
  /** Reads `length` bytes of a tensor's data starting `offset` bytes into it (bounds-checked). */
  readTensorBytes(t: GGUFTensorInfo, offset?: number, length?: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
