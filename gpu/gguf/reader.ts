// Opens a GGUF file: parses the header with positioned reads (never the whole file) and hands out
// tensor bytes on demand, bounds-checked against the tensor and the file.
import { open, type FileHandle } from 'node:fs/promises';
import { GGUFError, q } from './errors';
import { ggmlTypeName } from './ggml-types';
import { parseGGUFHeader, parseGGUFHeaderFrom, valueTypeName, type GGUFHeader, type ParseOptions } from './parse';
import { FdSource } from './source';
import { GGUFValueType, type GGUFFile, type GGUFMetadataEntry, type GGUFTensorInfo, type GGUFValue } from './types';

export { GGUFError } from './errors';
export { parseGGUFHeader } from './parse';

/** Where tensor bytes come from: an open file or (tests, fuzzing) a buffer. */
interface TensorByteSource {
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

class GGUFFileImpl implements GGUFFile {
  readonly version: number;
  readonly fileSize: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GGUFMetadataEntry>;
  readonly tensors: readonly GGUFTensorInfo[];
  private readonly byName: ReadonlyMap<string, GGUFTensorInfo>;
  private closed = false;

  constructor(
    readonly path: string,
    h: GGUFHeader,
    private readonly bytes: TensorByteSource,
  ) {
    this.version = h.version;
    this.fileSize = h.fileSize;
    this.alignment = h.alignment;
    this.dataOffset = h.dataOffset;
    this.metadata = h.metadata;
    this.tensors = h.tensors;
    this.byName = new Map(h.tensors.map((t) => [t.name, t]));
  }

  tensor(name: string): GGUFTensorInfo | undefined {
    return this.byName.get(name);
  }

  getOptional(key: string): GGUFValue | undefined {
    return this.metadata.get(key)?.value;
  }

  private entry(key: string): GGUFMetadataEntry {
    const e = this.metadata.get(key);
    if (!e) throw new GGUFError('missing-key', `${this.path}: metadata key '${key}' is missing`);
    return e;
  }

  getString(key: string): string {
    const e = this.entry(key);
    if (typeof e.value !== 'string') throw new GGUFError('wrong-type', `${this.path}: metadata key '${key}' is ${valueTypeName(e.type)}, expected STRING`);
    return e.value;
  }

  getNumber(key: string): number {
    const e = this.entry(key);
    const v = e.value;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new GGUFError('too-large', `${this.path}: metadata key '${key}' = ${v} does not fit a JavaScript number`);
      }
      return Number(v);
    }
    throw new GGUFError('wrong-type', `${this.path}: metadata key '${key}' is ${valueTypeName(e.type)}, expected a number`);
  }

  async readTensorBytes(t: GGUFTensorInfo, offset = 0, length?: number): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.path} is closed`);
    if (this.byName.get(t.name) !== t) throw new GGUFError('missing-tensor', `tensor ${q(t.name)} does not belong to ${this.path}`);
    if (t.byteLength < 0) throw new GGUFError('unsupported-type', `tensor ${q(t.name)} has ${ggmlTypeName(t.type)}, whose size is unknown; its bytes cannot be read`);
    const len = length ?? t.byteLength - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(len) || offset < 0 || len < 0 || offset + len > t.byteLength) {
      throw new RangeError(`readTensorBytes(${q(t.name)}): range [${offset}, ${offset + len}) is outside the tensor's ${t.byteLength} bytes`);
    }
    return this.bytes.read(t.fileOffset + offset, len);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.bytes.close();
  }
}

function fileBytes(fh: FileHandle, path: string, size: number): TensorByteSource {
  return {
    async read(offset, length) {
      if (offset + length > size) throw new GGUFError('truncated', `${path}: read of [${offset}, ${offset + length}) is past the end of the file`);
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new GGUFError('truncated', `${path} ended at byte ${offset + done} (the file changed after it was opened?)`);
        done += bytesRead;
      }
      return buf;
    },
    close: () => fh.close(),
  };
}

/** Opens and validates a GGUF file; the caller closes it. Throws GGUFError for anything malformed. */
export async function openGGUF(path: string, opts: Omit<ParseOptions, 'label'> = {}): Promise<GGUFFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new GGUFError('io', `cannot open ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new GGUFError('io', `${path} is not a regular file`);
    const size = st.size;
    const header = parseGGUFHeaderFrom(new FdSource(fh.fd, size, path), { ...opts, label: path });
    return new GGUFFileImpl(path, header, fileBytes(fh, path, size));
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** A GGUFFile over bytes already in memory (tests, fuzzing, embedded models). */
export function openGGUFBytes(bytes: Uint8Array, label = '<memory>', opts: Omit<ParseOptions, 'label'> = {}): GGUFFile {
  const header = parseGGUFHeader(bytes, { ...opts, label });
  return new GGUFFileImpl(label, header, {
    // A copy, as a plain Uint8Array (Buffer#slice would return a view).
    read: async (offset, length) => new Uint8Array(bytes.subarray(offset, offset + length)),
    close: async () => {},
  });
}

/** The array under `key` when it holds elements of `type`, else a GGUFError naming the key. */
export function getArray(file: GGUFFile, key: string, type?: GGUFValueType): readonly GGUFValue[] {
  const e = file.metadata.get(key);
  if (!e) throw new GGUFError('missing-key', `${file.path}: metadata key '${key}' is missing`);
  const v = e.value;
  if (typeof v !== 'object' || (type !== undefined && v.elementType !== type)) {
    const got = typeof v === 'object' ? `ARRAY of ${valueTypeName(v.elementType)}` : valueTypeName(e.type);
    throw new GGUFError('wrong-type', `${file.path}: metadata key '${key}' is ${got}, expected ARRAY${type !== undefined ? ` of ${valueTypeName(type)}` : ''}`);
  }
  return v.values;
}
