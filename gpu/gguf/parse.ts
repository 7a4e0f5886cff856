// Synchronous GGUF header parser (v2/v3) over any ByteSource. Every count, length, dimension and offset
// is checked against the bytes that remain and against a memory bound *before* anything is allocated,
// so a hostile or truncated file costs at most headerMemoryBound() of estimated heap, then a GGUFError.
import { GGUFError, q } from './errors';
import { ggmlTypeName, ggmlTypeTraits } from './ggml-types';
import { Cursor, MemorySource, type ByteSource } from './source';
import { GGUFValueType, type GGUFArray, type GGUFMetadataEntry, type GGUFTensorInfo, type GGUFValue } from './types';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const DEFAULT_ALIGNMENT = 32;
export const GGML_MAX_DIMS = 4;
/** ggml's GGML_MAX_NAME: tensor names must be shorter than this many bytes (llama.cpp rejects longer ones). */
export const GGML_MAX_NAME = 64;
/** The GGUF spec caps keys at 2^16 - 1 bytes. */
export const MAX_KEY_BYTES = 65535;
/** Arrays of arrays deeper than this are rejected: no real file nests, and recursion must stay bounded. */
export const MAX_ARRAY_DEPTH = 8;
/** The largest alignment we accept; real files use 32 (sometimes 64 or a page). */
export const MAX_ALIGNMENT = 1 << 20;
/**
 * Bound on the estimated JS memory a parsed header may take (strings at 2 bytes/char + 24, 16 bytes
 * per value slot, 256 per tensor): max(64 MiB, file size), never more than 256 MiB. The largest real
 * vocabularies (262k tokens) need about 20 MiB, so only hostile metadata reaches it.
 */
export const MIN_HEADER_MEMORY = 64 * 1024 * 1024;
export const MAX_HEADER_MEMORY = 256 * 1024 * 1024;

export function headerMemoryBound(fileSize: number): number {
  return Math.min(MAX_HEADER_MEMORY, Math.max(MIN_HEADER_MEMORY, fileSize));
}

export interface GGUFHeader {
  readonly version: number;
  readonly fileSize: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GGUFMetadataEntry>;
  readonly tensors: readonly GGUFTensorInfo[];
  /** Estimated heap taken by the parsed header (what the memory bound is checked against). */
  readonly memoryEstimate: number;
}

export interface ParseOptions {
  /** Overrides headerMemoryBound(file size) (tests use a small one). */
  maxHeaderMemory?: number;
  /** Name used in messages (the file path). */
  label?: string;
}

const MIN_VALUE_BYTES: Record<GGUFValueType, number> = {
  [GGUFValueType.UINT8]: 1,
  [GGUFValueType.INT8]: 1,
  [GGUFValueType.BOOL]: 1,
  [GGUFValueType.UINT16]: 2,
  [GGUFValueType.INT16]: 2,
  [GGUFValueType.UINT32]: 4,
  [GGUFValueType.INT32]: 4,
  [GGUFValueType.FLOAT32]: 4,
  [GGUFValueType.UINT64]: 8,
  [GGUFValueType.INT64]: 8,
  [GGUFValueType.FLOAT64]: 8,
  [GGUFValueType.STRING]: 8, // the u64 length
  [GGUFValueType.ARRAY]: 12, // u32 element type + u64 count
};

export function valueTypeName(t: number): string {
  return GGUFValueType[t] ?? `type ${t}`;
}

function isValueType(t: number): t is GGUFValueType {
  return Number.isInteger(t) && t >= 0 && t <= 12;
}


class HeaderParser {
  private readonly c: Cursor;
  private memory = 0;
  private readonly maxMemory: number;

  constructor(
    src: ByteSource,
    private readonly label: string,
    opts: ParseOptions,
  ) {
    this.c = new Cursor(src);
    this.maxMemory = opts.maxHeaderMemory ?? headerMemoryBound(src.size);
  }

  private charge(bytes: number, what: () => string): void {
    this.memory += bytes;
    if (this.memory > this.maxMemory) {
      throw new GGUFError(
        'too-large',
        `${what()} would take the parsed header past ${Math.round(this.maxMemory / 1048576)} MiB of memory; this file's metadata is not something a model needs`,
      );
    }
  }

  /** u64 count/length as a safe JS number, checked against what the rest of the file can hold. */
  private count(what: () => string, minBytesEach: number): number {
    const v = this.c.u64(what);
    const remaining = this.c.remaining;
    if (minBytesEach > 0 && v > BigInt(Math.floor(remaining / minBytesEach))) {
      throw new GGUFError(
        'too-large',
        `${what()} is ${v}, which needs at least ${v * BigInt(minBytesEach)} bytes but only ${remaining} bytes remain in the file (truncated or corrupt file?)`,
      );
    }
    return Number(v);
  }

  private string(what: () => string, maxBytes = Infinity): string {
    const len = this.count(() => `the length of ${what()}`, 1);
    if (len > maxBytes) throw new GGUFError('too-large', `${what()} is ${len} bytes long (at most ${maxBytes} allowed)`);
    this.charge(24 + 2 * len, what);
    const str = this.c.utf8(len, what);
    if (str === null) throw new GGUFError('bad-utf8', `${what()} is not valid UTF-8 (at byte ${this.c.pos - len})`);
    return str;
  }

  private value(type: GGUFValueType, depth: number, what: () => string): GGUFValue {
    const c = this.c;
    // Numeric labels: enum member reads through the module binding are measurably slow in this loop.
    switch (type) {
      case 0: // UINT8
        return c.u8(what);
      case 1: // INT8
        return c.i8(what);
      case 2: // UINT16
        return c.u16(what);
      case 3: // INT16
        return c.i16(what);
      case 4: // UINT32
        return c.u32(what);
      case 5: // INT32
        return c.i32(what);
      case 6: // FLOAT32
        return c.f32(what);
      case 12: // FLOAT64
        return c.f64(what);
      case 10: // UINT64
        return c.u64(what);
      case 11: // INT64
        return c.i64(what);
      case 7: { // BOOL
        const b = c.u8(what);
        if (b > 1) throw new GGUFError('bad-value', `${what()} is a bool stored as ${b} (must be 0 or 1)`);
        return b === 1;
      }
      case 8: // STRING
        return this.string(what);
      case 9: // ARRAY
        return this.array(depth + 1, what);
      default:
        throw new GGUFError('bad-value-type', `${what()} has unknown value type ${String(type)}`);
    }
  }

  private array(depth: number, what: () => string): GGUFArray {
    const et = this.c.u32(() => `the element type of ${what()}`);
    if (!isValueType(et)) throw new GGUFError('bad-value-type', `${what()} is an array of unknown value type ${et} (valid: 0..12)`);
    if (et === GGUFValueType.ARRAY && depth >= MAX_ARRAY_DEPTH) {
      throw new GGUFError('bad-value-type', `${what()} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
    }
    const n = this.count(() => `the element count of ${what()} (array of ${valueTypeName(et)})`, MIN_VALUE_BYTES[et]);
    this.charge(16 * n, what);
    const values: GGUFValue[] = new Array<GGUFValue>(n);
    let i = 0;
    const elem = () => `element ${i} of ${what()}`;
    for (; i < n; i++) values[i] = this.value(et, depth, elem);
    return { elementType: et, values };
  }

  parse(): GGUFHeader {
    const c = this.c;
    const size = c.src.size;
    const magic = c.u32(() => 'the GGUF magic');
    if (magic !== GGUF_MAGIC) {
      throw new GGUFError('bad-magic', `${this.label} is not a GGUF file (starts with ${hex4(magic)}, expected "GGUF")`);
    }
    const version = c.u32(() => 'the GGUF version');
    if (version === 1) throw new GGUFError('unsupported-version', `${this.label} is GGUF v1, which is no longer supported; convert it again with a current llama.cpp`);
    if (version !== 2 && version !== 3) throw new GGUFError('unsupported-version', `${this.label} has GGUF version ${version}; supported versions are 2 and 3`);
    // Smallest tensor info: name length (8) + n_dims (4) + type (4) + offset (8).
    const nTensors = this.count(() => 'the tensor count', 24);
    // Smallest metadata entry: key length (8) + type (4) + a one-byte value.
    const nKv = this.count(() => 'the metadata entry count', 13);

    const metadata = new Map<string, GGUFMetadataEntry>();
    for (let i = 0; i < nKv; i++) {
      const key = this.string(() => `the key of metadata entry ${i}`, MAX_KEY_BYTES);
      const what = () => `metadata key ${q(key)}`;
      if (metadata.has(key)) throw new GGUFError('duplicate-key', `metadata key ${q(key)} appears twice`);
      const type = c.u32(() => `the value type of ${what()}`);
      if (!isValueType(type)) throw new GGUFError('bad-value-type', `${what()} has unknown value type ${type} (valid: 0..12)`);
      const value = this.value(type, 0, what);
      metadata.set(key, { key, type, value });
    }

    const alignment = this.alignment(metadata);
    const infos: { name: string; dims: number[]; type: number; offset: number; nElements: number; byteLength: number }[] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      const name = this.string(() => `the name of tensor ${i}`);
      if (Buffer.byteLength(name) >= GGML_MAX_NAME) {
        throw new GGUFError('too-large', `tensor ${i} has a ${Buffer.byteLength(name)}-byte name (ggml allows at most ${GGML_MAX_NAME - 1}): ${q(name)}`);
      }
      if (names.has(name)) throw new GGUFError('duplicate-key', `tensor ${q(name)} appears twice`);
      names.add(name);
      const what = () => `tensor ${q(name)}`;
      this.charge(256, what);
      const nDims = c.u32(() => `the dimension count of ${what()}`);
      if (nDims > GGML_MAX_DIMS) throw new GGUFError('bad-shape', `${what()} has ${nDims} dimensions (ggml allows at most ${GGML_MAX_DIMS})`);
      const dims: number[] = [];
      let nElements = 1;
      for (let d = 0; d < nDims; d++) {
        const v = c.u64(() => `dimension ${d} of ${what()}`);
        if (v === 0n) throw new GGUFError('bad-shape', `${what()} has dimension ${d} of size 0`);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || nElements * Number(v) > Number.MAX_SAFE_INTEGER) {
          throw new GGUFError('too-large', `${what()} has dimension ${d} = ${v}: the element count overflows 2^53`);
        }
        dims.push(Number(v));
        nElements *= Number(v);
      }
      const type = c.u32(() => `the type of ${what()}`);
      const off = c.u64(() => `the data offset of ${what()}`);
      if (off > BigInt(size)) throw new GGUFError('bad-offset', `${what()} has data offset ${off}, beyond the end of the file (${size} bytes; truncated or corrupt file?)`);
      const traits = ggmlTypeTraits(type);
      let byteLength = -1;
      if (traits) {
        if (nDims > 0 && dims[0]! % traits.blockSize !== 0) {
          throw new GGUFError('bad-shape', `${what()} has type ${traits.name} but its first dimension ${dims[0]} is not a multiple of the block size ${traits.blockSize}`);
        }
        byteLength = (nElements / traits.blockSize) * traits.typeSize;
      }
      infos.push({ name, dims, type, offset: Number(off), nElements, byteLength });
    }

    const afterInfos = c.pos;
    let dataOffset = alignUp(afterInfos, alignment);
    if (dataOffset > size) {
      if (nTensors > 0) throw new GGUFError('truncated', `file ends at byte ${size}, before the tensor data section (which starts at byte ${dataOffset})`);
      dataOffset = size; // a vocab-only file may end right after its metadata
    }

    const tensors: GGUFTensorInfo[] = infos.map((t) => ({
      name: t.name,
      dims: t.dims,
      type: t.type,
      fileOffset: dataOffset + t.offset,
      byteLength: t.byteLength,
      nElements: t.nElements,
    }));
    this.checkPlacement(tensors, dataOffset, alignment, size);
    return { version, fileSize: size, alignment, dataOffset, metadata, tensors, memoryEstimate: this.memory };
  }

  private alignment(metadata: ReadonlyMap<string, GGUFMetadataEntry>): number {
    const e = metadata.get('general.alignment');
    if (!e) return DEFAULT_ALIGNMENT;
    const v = e.value;
    let n: number;
    if (typeof v === 'bigint') n = v > 0n && v <= BigInt(MAX_ALIGNMENT) ? Number(v) : 0;
    else if (typeof v === 'number' && e.type !== GGUFValueType.FLOAT32 && e.type !== GGUFValueType.FLOAT64) n = v;
    else throw new GGUFError('wrong-type', `general.alignment must be an unsigned integer, got ${valueTypeName(e.type)} ${describe(v)}`);
    if (!(n > 0) || (n & (n - 1)) !== 0 || n > MAX_ALIGNMENT) {
      throw new GGUFError('bad-alignment', `general.alignment is ${describe(v)}; it must be a power of two between 1 and ${MAX_ALIGNMENT}`);
    }
    return n;
  }

  private checkPlacement(tensors: readonly GGUFTensorInfo[], dataOffset: number, alignment: number, size: number): void {
    for (const t of tensors) {
      const rel = t.fileOffset - dataOffset;
      if (rel % alignment !== 0) throw new GGUFError('bad-offset', `tensor ${q(t.name)} has data offset ${rel}, which is not a multiple of the alignment ${alignment}`);
      if (t.fileOffset > size) throw new GGUFError('bad-offset', `tensor ${q(t.name)} starts at byte ${t.fileOffset}, beyond the end of the file (${size} bytes; truncated or corrupt file?)`);
      if (t.byteLength >= 0 && t.fileOffset + t.byteLength > size) {
        throw new GGUFError('truncated', `tensor ${q(t.name)} (${ggmlTypeName(t.type)}, ${t.byteLength} bytes at byte ${t.fileOffset}) extends past the end of the file (${size} bytes); the file is truncated or corrupt`);
      }
    }
    const sorted = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.fileOffset - b.fileOffset);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (a.fileOffset + a.byteLength > b.fileOffset) {
        throw new GGUFError('bad-offset', `tensors ${q(a.name)} [${a.fileOffset}, ${a.fileOffset + a.byteLength}) and ${q(b.name)} [${b.fileOffset}, ...) overlap`);
      }
    }
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function hex4(v: number): string {
  const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

function describe(v: GGUFValue): string {
  return typeof v === 'object' ? `array[${v.values.length}]` : String(v);
}

export function parseGGUFHeaderFrom(src: ByteSource, opts: ParseOptions = {}): GGUFHeader {
  return new HeaderParser(src, opts.label ?? 'the file', opts).parse();
}

/** In-memory parse of a whole GGUF file (tests, fuzzing). */
export function parseGGUFHeader(bytes: Uint8Array, opts: ParseOptions = {}): GGUFHeader {
  return parseGGUFHeaderFrom(new MemorySource(bytes), opts);
}
