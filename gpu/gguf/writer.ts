// GGUF writer (v2/v3), used to build synthetic test models and hand-made malformed files. Float32Array
// tensor data is quantized on write with gpu/quant (bit-compatible with ggml's reference quantizers).
import { open } from 'node:fs/promises';
import { quantize } from '../quant/index';
import { GGUFError } from './errors';
import { ggmlTypeName, ggmlTypeTraits, isSupportedType } from './ggml-types';
import { DEFAULT_ALIGNMENT, GGUF_MAGIC } from './parse';
import { GGUFValueType, type GGMLType, type GGUFArray, type GGUFValue } from './types';

export interface WriteMetadata {
  key: string;
  type: GGUFValueType;
  /** For ARRAY: a GGUFArray; for 64-bit integers a bigint or a safe integer number. */
  value: GGUFValue;
}

export interface WriteTensor {
  name: string;
  /** ggml order: dims[0] is the contiguous dimension ([nIn, nOut] for a weight matrix). */
  dims: readonly number[];
  /** A GGMLType, or any raw id when `data` is raw bytes (for files only meant to be inspected/rejected). */
  type: GGMLType | number;
  /** Raw bytes already in `type`'s layout, or values to quantize into it. */
  data: Uint8Array | Float32Array;
  /** Test hook: write this relative data offset instead of the computed one (the bytes still go at the computed place). */
  offsetOverride?: number;
}

export interface WriteSpec {
  version?: 2 | 3;
  alignment?: number;
  metadata: readonly WriteMetadata[];
  tensors: readonly WriteTensor[];
}

class ByteSink {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private dv = new DataView(this.cur.buffer);
  private n = 0;
  length = 0;

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.flush();
    if (k > this.cur.length) {
      this.cur = new Uint8Array(k);
      this.dv = new DataView(this.cur.buffer);
    }
  }
  private flush(): void {
    if (this.n > 0) this.chunks.push(this.cur.slice(0, this.n));
    this.n = 0;
  }
  u8(v: number): void { this.room(1); this.dv.setUint8(this.n, v); this.n += 1; this.length += 1; }
  i8(v: number): void { this.room(1); this.dv.setInt8(this.n, v); this.n += 1; this.length += 1; }
  u16(v: number): void { this.room(2); this.dv.setUint16(this.n, v, true); this.n += 2; this.length += 2; }
  i16(v: number): void { this.room(2); this.dv.setInt16(this.n, v, true); this.n += 2; this.length += 2; }
  u32(v: number): void { this.room(4); this.dv.setUint32(this.n, v, true); this.n += 4; this.length += 4; }
  i32(v: number): void { this.room(4); this.dv.setInt32(this.n, v, true); this.n += 4; this.length += 4; }
  f32(v: number): void { this.room(4); this.dv.setFloat32(this.n, v, true); this.n += 4; this.length += 4; }
  f64(v: number): void { this.room(8); this.dv.setFloat64(this.n, v, true); this.n += 8; this.length += 8; }
  u64(v: bigint): void { this.room(8); this.dv.setBigUint64(this.n, v, true); this.n += 8; this.length += 8; }
  i64(v: bigint): void { this.room(8); this.dv.setBigInt64(this.n, v, true); this.n += 8; this.length += 8; }
  bytes(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
  }
  pad(alignment: number): void {
    const k = (alignment - (this.length % alignment)) % alignment;
    if (k > 0) this.bytes(new Uint8Array(k));
  }
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}

const enc = new TextEncoder();

function big(v: GGUFValue, key: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new TypeError(`metadata '${key}': expected a bigint or safe integer for a 64-bit value, got ${String(v)}`);
}

function num(v: GGUFValue, key: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`metadata '${key}': expected a number, got ${typeof v}`);
}

function writeValue(s: ByteSink, type: GGUFValueType, v: GGUFValue, key: string): void {
  switch (type) {
    case GGUFValueType.UINT8: return s.u8(num(v, key));
    case GGUFValueType.INT8: return s.i8(num(v, key));
    case GGUFValueType.UINT16: return s.u16(num(v, key));
    case GGUFValueType.INT16: return s.i16(num(v, key));
    case GGUFValueType.UINT32: return s.u32(num(v, key));
    case GGUFValueType.INT32: return s.i32(num(v, key));
    case GGUFValueType.FLOAT32: return s.f32(num(v, key));
    case GGUFValueType.FLOAT64: return s.f64(num(v, key));
    case GGUFValueType.UINT64: return s.u64(big(v, key));
    case GGUFValueType.INT64: return s.i64(big(v, key));
    case GGUFValueType.BOOL:
      if (typeof v !== 'boolean') throw new TypeError(`metadata '${key}': expected a boolean`);
      return s.u8(v ? 1 : 0);
    case GGUFValueType.STRING: {
      if (typeof v !== 'string') throw new TypeError(`metadata '${key}': expected a string`);
      writeString(s, v);
      return;
    }
    case GGUFValueType.ARRAY: {
      if (typeof v !== 'object') throw new TypeError(`metadata '${key}': expected a GGUFArray`);
      const a: GGUFArray = v;
      s.u32(a.elementType);
      s.u64(BigInt(a.values.length));
      for (const x of a.values) writeValue(s, a.elementType, x, key);
      return;
    }
    default:
      throw new TypeError(`metadata '${key}': unknown value type ${String(type)}`);
  }
}

function writeString(s: ByteSink, str: string): void {
  const b = enc.encode(str);
  s.u64(BigInt(b.length));
  s.bytes(b);
}

function tensorBytes(t: WriteTensor): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data instanceof Float32Array) {
    if (!isSupportedType(t.type)) throw new GGUFError('unsupported-type', `cannot quantize tensor ${t.name} to ${ggmlTypeName(t.type)}`);
    if (t.data.length !== n) throw new RangeError(`tensor ${t.name}: ${t.data.length} values for shape [${t.dims.join(', ')}] (${n} elements)`);
    return quantize(t.type, t.data);
  }
  const traits = ggmlTypeTraits(t.type);
  if (traits) {
    const want = (n / traits.blockSize) * traits.typeSize;
    if (t.data.length !== want) throw new RangeError(`tensor ${t.name}: ${t.data.length} bytes, but [${t.dims.join(', ')}] of ${traits.name} takes ${want}`);
  }
  return t.data;
}

/** Serializes a GGUF file as a list of chunks (concatenate or write them in order). */
export function encodeGGUFChunks(spec: WriteSpec): Uint8Array[] {
  const alignment = spec.alignment ?? DEFAULT_ALIGNMENT;
  const metadata = [...spec.metadata];
  // The reader only knows a non-default alignment from this key, so a file without it would be unreadable.
  if (alignment !== DEFAULT_ALIGNMENT && !metadata.some((m) => m.key === 'general.alignment')) {
    metadata.push({ key: 'general.alignment', type: GGUFValueType.UINT32, value: alignment });
  }
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(spec.version ?? 3);
  s.u64(BigInt(spec.tensors.length));
  s.u64(BigInt(metadata.length));
  for (const m of metadata) {
    writeString(s, m.key);
    s.u32(m.type);
    writeValue(s, m.type, m.value, m.key);
  }
  const datas = spec.tensors.map(tensorBytes);
  let offset = 0;
  spec.tensors.forEach((t, i) => {
    writeString(s, t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(BigInt(d));
    s.u32(t.type);
    s.u64(BigInt(t.offsetOverride ?? offset));
    offset += Math.ceil(datas[i]!.length / alignment) * alignment;
  });
  s.pad(alignment);
  for (const d of datas) {
    s.bytes(d);
    s.pad(alignment);
  }
  return s.finish();
}

export function encodeGGUF(spec: WriteSpec): Uint8Array {
  return Buffer.concat(encodeGGUFChunks(spec));
}

export async function writeGGUF(path: string, spec: WriteSpec): Promise<void> {
  const chunks = encodeGGUFChunks(spec);
  const fh = await open(path, 'w');
  try {
    for (const c of chunks) await fh.write(c);
  } finally {
    await fh.close();
  }
}

/** Shorthands for metadata entries. */
export const meta = {
  str: (key: string, value: string): WriteMetadata => ({ key, type: GGUFValueType.STRING, value }),
  u32: (key: string, value: number): WriteMetadata => ({ key, type: GGUFValueType.UINT32, value }),
  i32: (key: string, value: number): WriteMetadata => ({ key, type: GGUFValueType.INT32, value }),
  f32: (key: string, value: number): WriteMetadata => ({ key, type: GGUFValueType.FLOAT32, value }),
  bool: (key: string, value: boolean): WriteMetadata => ({ key, type: GGUFValueType.BOOL, value }),
  arr: (key: string, elementType: GGUFValueType, values: readonly GGUFValue[]): WriteMetadata => ({ key, type: GGUFValueType.ARRAY, value: { elementType, values } }),
};
