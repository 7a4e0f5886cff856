// Random-access byte sources for the header parser. The parser is synchronous (one code path for
// files and in-memory buffers, which the fuzz harness and tests use); files are read with positioned
// reads through a bounded window, never whole.
import { readSync } from 'node:fs';
import { GGUFError } from './errors';
import { decodeUtf8Strict } from './utf8';

export interface ByteSource {
  readonly size: number;
  /** Returns exactly `length` bytes at `offset` (callers check bounds first). May be a view; copy to keep. */
  readAt(offset: number, length: number): Uint8Array;
}

export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  readAt(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
}

/** Positioned reads on an open file descriptor. */
export class FdSource implements ByteSource {
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {}
  readAt(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, buf, done, length - done, offset + done);
      } catch (e) {
        throw new GGUFError('io', `cannot read ${this.path} at byte ${offset + done}: ${e instanceof Error ? e.message : String(e)}`);
      }
      // The file shrank under us: report it like any other truncation.
      if (n === 0) throw new GGUFError('truncated', `${this.path} ended at byte ${offset + done} while reading (the file changed size?)`);
      done += n;
    }
    return buf;
  }
}

export const WINDOW_BYTES = 1 << 20;

/**
 * Sequential little-endian reader over a ByteSource with a 1 MiB window. `need(n, what)` is the
 * single bounds check: it throws 'truncated' naming `what` when the file ends first.
 */
export class Cursor {
  pos = 0;
  private winStart = 0;
  private win: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.win.buffer);

  constructor(readonly src: ByteSource) {}

  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** Makes [pos, pos+n) addressable; returns the offset of pos inside the window. */
  need(n: number, what: () => string): number {
    if (n > this.src.size - this.pos) {
      throw new GGUFError('truncated', `file ends at byte ${this.src.size} while reading ${what()} (needs ${n} bytes at byte ${this.pos})`);
    }
    const rel = this.pos - this.winStart;
    if (rel >= 0 && rel + n <= this.win.byteLength) return rel;
    const len = Math.min(Math.max(n, WINDOW_BYTES), this.src.size - this.pos);
    this.win = this.src.readAt(this.pos, len);
    this.view = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
    this.winStart = this.pos;
    return 0;
  }

  u8(what: () => string): number {
    const o = this.need(1, what);
    this.pos += 1;
    return this.win[o]!;
  }
  i8(what: () => string): number {
    const o = this.need(1, what);
    this.pos += 1;
    return this.view.getInt8(o);
  }
  u16(what: () => string): number {
    const o = this.need(2, what);
    this.pos += 2;
    return this.view.getUint16(o, true);
  }
  i16(what: () => string): number {
    const o = this.need(2, what);
    this.pos += 2;
    return this.view.getInt16(o, true);
  }
  u32(what: () => string): number {
    const o = this.need(4, what);
    this.pos += 4;
    return this.view.getUint32(o, true);
  }
  i32(what: () => string): number {
    const o = this.need(4, what);
    this.pos += 4;
    return this.view.getInt32(o, true);
  }
  f32(what: () => string): number {
    const o = this.need(4, what);
    this.pos += 4;
    return this.view.getFloat32(o, true);
  }
  f64(what: () => string): number {
    const o = this.need(8, what);
    this.pos += 8;
    return this.view.getFloat64(o, true);
  }
  u64(what: () => string): bigint {
    const o = this.need(8, what);
    this.pos += 8;
    return this.view.getBigUint64(o, true);
  }
  i64(what: () => string): bigint {
    const o = this.need(8, what);
    this.pos += 8;
    return this.view.getBigInt64(o, true);
  }
  /** Decodes the next n bytes as strict UTF-8 (null when invalid) without copying them. */
  utf8(n: number, what: () => string): string | null {
    const o = this.need(n, what);
    this.pos += n;
    return decodeUtf8Strict(this.win, o, o + n);
  }
  /** A view of the next n bytes (valid until the next read). */
  bytes(n: number, what: () => string): Uint8Array {
    const o = this.need(n, what);
    this.pos += n;
    return this.win.subarray(o, o + n);
  }
}
