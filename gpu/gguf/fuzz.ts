// GGUF fuzzing core (pure, no I/O): maps a valid file's structure, then derives hostile variants of it
// (truncations at structural boundaries, huge counts and lengths, wrong type tags, bad tensor offsets
// and dims, bad alignment, invalid UTF-8, duplicates, model-metadata nonsense, random byte flips).
// Case i of seed s is a pure function of (corpus, s, i), so any failure replays exactly.
import { parseGGUFHeader, type GGUFHeader } from './parse';
import { encodeGGUF, type WriteMetadata, type WriteTensor } from './writer';
import { GGUFValueType as V, type GGUFValue } from './types';

export type FieldKind =
  | 'magic' | 'version' | 'tensor-count' | 'kv-count'
  | 'key-len' | 'key-bytes' | 'value-type' | 'elem-type' | 'array-count' | 'str-len' | 'str-bytes' | 'scalar'
  | 'name-len' | 'name-bytes' | 'n-dims' | 'dim' | 'tensor-type' | 'tensor-offset';

export interface Field {
  offset: number;
  size: number;
  kind: FieldKind;
  /** The metadata key or tensor name the field belongs to. */
  owner?: string;
}

export interface CorpusFile {
  name: string;
  bytes: Uint8Array;
}

interface Parsed {
  file: CorpusFile;
  fields: Field[];
  header: GGUFHeader;
}

export interface FuzzCase {
  index: number;
  source: string;
  mutation: string;
  bytes: Uint8Array;
}

/** Splitmix-style 32-bit PRNG seeded from (seed, index): independent streams per case. */
export function caseRandom(seed: number, index: number): () => number {
  let s = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Field map of a valid GGUF file (the corpus is trusted; the parser validates it first). */
export function mapFields(bytes: Uint8Array): Field[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const td = new TextDecoder();
  const f: Field[] = [];
  let p = 0;
  const take = (size: number, kind: FieldKind, owner?: string) => {
    f.push({ offset: p, size, kind, owner });
    p += size;
  };
  const u32 = () => dv.getUint32(p, true);
  const u64 = () => Number(dv.getBigUint64(p, true));
  take(4, 'magic');
  take(4, 'version');
  const nT = u64();
  take(8, 'tensor-count');
  const nKv = u64();
  take(8, 'kv-count');
  const scalarSize: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (t: number, owner: string): void => {
    if (t === V.STRING) {
      const n = u64();
      take(8, 'str-len', owner);
      take(n, 'str-bytes', owner);
    } else if (t === V.ARRAY) {
      const et = u32();
      take(4, 'elem-type', owner);
      const n = u64();
      take(8, 'array-count', owner);
      // Map the first elements individually; the rest as one span keeps maps of 150k-token arrays small.
      for (let i = 0; i < n; i++) {
        if (i < 16 || et === V.ARRAY) value(et, owner);
        else {
          const start = p;
          const skip = (tt: number): void => {
            if (tt === V.STRING) p += 8 + u64();
            else p += scalarSize[tt]!;
          };
          for (; i < n; i++) skip(et);
          f.push({ offset: start, size: p - start, kind: et === V.STRING ? 'str-bytes' : 'scalar', owner });
        }
      }
    } else {
      take(scalarSize[t]!, 'scalar', owner);
    }
  };
  for (let i = 0; i < nKv; i++) {
    const kl = u64();
    take(8, 'key-len');
    const key = td.decode(bytes.subarray(p, p + kl));
    take(kl, 'key-bytes', key);
    const t = u32();
    take(4, 'value-type', key);
    value(t, key);
  }
  for (let i = 0; i < nT; i++) {
    const nl = u64();
    take(8, 'name-len');
    const name = td.decode(bytes.subarray(p, p + nl));
    take(nl, 'name-bytes', name);
    const nd = u32();
    take(4, 'n-dims', name);
    for (let d = 0; d < nd; d++) take(8, 'dim', name);
    take(4, 'tensor-type', name);
    take(8, 'tensor-offset', name);
  }
  return f;
}

export function prepareCorpus(files: readonly CorpusFile[]): Parsed[] {
  return files.map((file) => ({ file, header: parseGGUFHeader(file.bytes), fields: mapFields(file.bytes) }));
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

const HUGE_U64 = [0xffffffffffffffffn, 1n << 63n, 1n << 53n, (1n << 53n) + 1n, 1n << 40n, 0xffffffffn, 0x100000000n, 0x7fffffffn];

function setU64(b: Uint8Array, off: number, v: bigint): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(off, BigInt.asUintN(64, v), true);
}
function setU32(b: Uint8Array, off: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(off, v >>> 0, true);
}

/** Only as many bytes as the mutation needs to be copied: tensor data past the header is kept by reference where possible. */
function copy(b: Uint8Array): Uint8Array {
  return Uint8Array.from(b);
}

function fieldsOf(p: Parsed, kinds: readonly FieldKind[]): Field[] {
  return p.fields.filter((f) => kinds.includes(f.kind));
}

type Mutator = (p: Parsed, r: Rand) => { mutation: string; bytes: Uint8Array } | null;

const truncateAtBoundary: Mutator = (p, r) => {
  const ends = [...p.fields.map((f) => f.offset), ...p.fields.map((f) => f.offset + f.size), p.header.dataOffset, ...p.header.tensors.flatMap((t) => [t.fileOffset, t.fileOffset + t.byteLength])];
  const at = pick(r, ends) + pick(r, [0, 0, 0, -1, 1]);
  const n = Math.max(0, Math.min(p.file.bytes.length - 1, at));
  return { mutation: `truncate at boundary ${n}`, bytes: p.file.bytes.slice(0, n) };
};

const truncateRandom: Mutator = (p, r) => {
  const n = int(r, p.file.bytes.length);
  return { mutation: `truncate at ${n}`, bytes: p.file.bytes.slice(0, n) };
};

const hugeCount: Mutator = (p, r) => {
  const fs = fieldsOf(p, ['tensor-count', 'kv-count', 'array-count', 'str-len', 'key-len', 'name-len']);
  const f = pick(r, fs);
  const b = copy(p.file.bytes);
  const remaining = BigInt(b.length - f.offset);
  const v = pick(r, [...HUGE_U64, remaining, remaining + 1n, remaining - 8n]);
  setU64(b, f.offset, v);
  return { mutation: `${f.kind}${f.owner ? ` of '${f.owner}'` : ''} = ${v}`, bytes: b };
};

const smallCountChange: Mutator = (p, r) => {
  const f = pick(r, fieldsOf(p, ['tensor-count', 'kv-count', 'array-count', 'str-len', 'key-len', 'name-len']));
  const b = copy(p.file.bytes);
  const dv = new DataView(b.buffer);
  const old = dv.getBigUint64(f.offset, true);
  const v = old + BigInt(pick(r, [-2, -1, 1, 2, 7]));
  setU64(b, f.offset, v);
  return { mutation: `${f.kind}${f.owner ? ` of '${f.owner}'` : ''} ${old} -> ${BigInt.asUintN(64, v)}`, bytes: b };
};

const wrongTypeTag: Mutator = (p, r) => {
  const f = pick(r, fieldsOf(p, ['value-type', 'elem-type']));
  const b = copy(p.file.bytes);
  const v = pick(r, [0, 1, 2, 4, 6, 7, 8, 9, 10, 12, 13, 14, 255, 0xffffffff, 0x80000000, int(r, 13)]);
  setU32(b, f.offset, v);
  return { mutation: `${f.kind} of '${f.owner}' = ${v}`, bytes: b };
};

const tensorTypeId: Mutator = (p, r) => {
  const fs = fieldsOf(p, ['tensor-type']);
  if (!fs.length) return null;
  const f = pick(r, fs);
  const b = copy(p.file.bytes);
  const v = pick(r, [0, 1, 2, 4, 8, 10, 11, 12, 14, 15, 16, 23, 29, 30, 31, 36, 39, 40, 99, 0xffffffff]);
  setU32(b, f.offset, v);
  return { mutation: `type of tensor '${f.owner}' = ${v}`, bytes: b };
};

const tensorOffset: Mutator = (p, r) => {
  const ts = p.header.tensors;
  if (!ts.length) return null;
  const fs = fieldsOf(p, ['tensor-offset']);
  const i = int(r, fs.length);
  const f = fs[i]!;
  const b = copy(p.file.bytes);
  const rel = (t: (typeof ts)[number]) => BigInt(t.fileOffset - p.header.dataOffset);
  const other = ts[int(r, ts.length)]!;
  const choice = int(r, 6);
  const v =
    choice === 0 ? rel(other) // overlap (or same)
    : choice === 1 ? rel(ts[i]!) + BigInt(1 + int(r, 31)) // unaligned
    : choice === 2 ? BigInt(b.length) // just past the end
    : choice === 3 ? pick(r, HUGE_U64)
    : choice === 4 ? rel(other) + BigInt(p.header.alignment) // partial overlap
    : BigInt(b.length - p.header.dataOffset - ts[i]!.byteLength + p.header.alignment); // runs off the end
  setU64(b, f.offset, v);
  return { mutation: `offset of tensor '${f.owner}' = ${v}`, bytes: b };
};

const absurdDims: Mutator = (p, r) => {
  const fs = fieldsOf(p, ['dim', 'n-dims']);
  if (!fs.length) return null;
  const f = pick(r, fs);
  const b = copy(p.file.bytes);
  if (f.kind === 'n-dims') {
    const v = pick(r, [0, 1, 3, 4, 5, 8, 0xffffffff]);
    setU32(b, f.offset, v);
    return { mutation: `n_dims of '${f.owner}' = ${v}`, bytes: b };
  }
  const v = pick(r, [0n, 1n, 2n, 3n, 31n, 255n, 257n, 1n << 32n, 1n << 40n, 1n << 62n, 0xffffffffffffffffn, BigInt(int(r, 5000))]);
  setU64(b, f.offset, v);
  return { mutation: `a dimension of '${f.owner}' = ${v}`, bytes: b };
};

const badAlignment: Mutator = (p, r) => {
  const f = p.fields.find((x) => x.kind === 'scalar' && x.owner === 'general.alignment');
  if (!f) return null;
  const b = copy(p.file.bytes);
  const v = pick(r, [0, 1, 2, 3, 7, 16, 48, 64, 4096, 1 << 20, 1 << 21, 0x80000000, 0xffffffff]);
  if (f.size === 4) setU32(b, f.offset, v);
  else if (f.size === 8) setU64(b, f.offset, BigInt(v));
  else b[f.offset] = v & 0xff;
  return { mutation: `general.alignment = ${v}`, bytes: b };
};

const INVALID_UTF8 = [[0xff], [0xfe], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xc3], [0xe2, 0x82]];
const badUtf8: Mutator = (p, r) => {
  const fs = fieldsOf(p, ['key-bytes', 'str-bytes', 'name-bytes']).filter((f) => f.size > 0);
  if (!fs.length) return null;
  const f = pick(r, fs);
  const bad = pick(r, INVALID_UTF8);
  const b = copy(p.file.bytes);
  const at = f.offset + int(r, Math.max(1, f.size - bad.length + 1));
  for (let k = 0; k < bad.length && at + k < f.offset + f.size; k++) b[at + k] = bad[k]!;
  return { mutation: `invalid UTF-8 ${bad.map((x) => x.toString(16)).join(' ')} in ${f.kind} of '${f.owner ?? '?'}'`, bytes: b };
};

const duplicateKeyBytes: Mutator = (p, r) => {
  // Overwrite one key with another of the same length: a duplicate without shifting anything.
  const keys = fieldsOf(p, ['key-bytes']);
  const byLen = new Map<number, Field[]>();
  for (const k of keys) byLen.set(k.size, [...(byLen.get(k.size) ?? []), k]);
  const groups = [...byLen.values()].filter((g) => g.length > 1);
  if (!groups.length) return null;
  const g = pick(r, groups);
  const a = g[int(r, g.length)]!;
  const c = g.find((x) => x !== a)!;
  const b = copy(p.file.bytes);
  b.copyWithin(c.offset, a.offset, a.offset + a.size);
  return { mutation: `key '${c.owner}' renamed to duplicate '${a.owner}'`, bytes: b };
};

function tensorSpecs(p: Parsed): WriteTensor[] {
  return p.header.tensors.map((t) => ({
    name: t.name,
    dims: t.dims,
    type: t.type,
    data: p.file.bytes.subarray(t.fileOffset, t.fileOffset + t.byteLength),
  }));
}

function metadataSpecs(p: Parsed): WriteMetadata[] {
  return [...p.header.metadata.values()].map((e) => ({ key: e.key, type: e.type, value: e.value }));
}

/** Rebuilds the file from its parsed form with a structural change the byte mutators cannot make. */
const rebuild: Mutator = (p, r) => {
  const md = metadataSpecs(p);
  const ts = tensorSpecs(p);
  const arch = p.header.metadata.get('general.architecture')?.value;
  const a = typeof arch === 'string' ? arch : 'llama';
  const choice = int(r, 7);
  let mutation: string;
  if (choice === 0 && md.length) {
    const e = pick(r, md);
    md.splice(int(r, md.length + 1), 0, { ...e });
    mutation = `duplicate metadata key '${e.key}'`;
  } else if (choice === 1 && ts.length) {
    const t = pick(r, ts);
    ts.push({ ...t });
    mutation = `duplicate tensor '${t.name}'`;
  } else if (choice === 2) {
    // Model hyper-parameters with absurd values or types: exercises describeModel's checks.
    const keys = ['embedding_length', 'block_count', 'attention.head_count', 'attention.head_count_kv', 'attention.key_length', 'feed_forward_length', 'context_length', 'rope.freq_base', 'rope.dimension_count', 'attention.layer_norm_rms_epsilon', 'rope.scaling.factor'].map((k) => `${a}.${k}`);
    const key = pick(r, keys);
    const values: WriteMetadata[] = [
      { key, type: V.UINT32, value: pick(r, [0, 1, 3, 7, 0xffffffff, 1 << 30, 65536]) },
      { key, type: V.INT32, value: -1 },
      { key, type: V.FLOAT32, value: pick(r, [Number.NaN, Infinity, -1, 0, 1e30, 0.5]) },
      { key, type: V.UINT64, value: pick(r, HUGE_U64) },
      { key, type: V.STRING, value: '64' },
      { key, type: V.ARRAY, value: { elementType: V.UINT32, values: [1, 2] } },
    ];
    const v = pick(r, values);
    const i = md.findIndex((m) => m.key === key);
    if (i >= 0) md[i] = v;
    else md.push(v);
    mutation = `${key} = ${typeof v.value === 'object' ? 'array' : String(v.value)} (${V[v.type]})`;
  } else if (choice === 3) {
    const v: GGUFValue = pick(r, ['gemma2', 'phi3', 'qwen2moe', '', 'llama\u0000', a === 'llama' ? 'qwen3' : 'llama']);
    const i = md.findIndex((m) => m.key === 'general.architecture');
    const e = { key: 'general.architecture', type: V.STRING, value: v };
    if (i >= 0) md[i] = e;
    else md.push(e);
    mutation = `general.architecture = '${String(v)}'`;
  } else if (choice === 4 && ts.length) {
    const i = int(r, ts.length);
    const t = ts[i]!;
    ts.splice(i, 1);
    mutation = `tensor '${t.name}' removed`;
  } else if (choice === 5) {
    const bad = pick(r, [0, 3, 48, 0x80000000]);
    const i = md.findIndex((m) => m.key === 'general.alignment');
    const e = { key: 'general.alignment', type: pick(r, [V.UINT32, V.UINT64, V.FLOAT32, V.STRING]), value: 0 as GGUFValue };
    e.value = e.type === V.UINT64 ? BigInt(bad) : e.type === V.STRING ? String(bad) : bad;
    if (i >= 0) md[i] = e;
    else md.push(e);
    mutation = `general.alignment = ${String(bad)} (${V[e.type]})`;
  } else {
    // A valid variant: other version / alignment. Must be accepted when the source is.
    const alignment = pick(r, [1, 8, 64, 256]);
    const i = md.findIndex((m) => m.key === 'general.alignment');
    if (i >= 0) md.splice(i, 1);
    return { mutation: `rewritten as v${choice % 2 ? 2 : 3} with alignment ${alignment}`, bytes: encodeGGUF({ version: choice % 2 ? 2 : 3, alignment, metadata: md, tensors: ts }) };
  }
  return { mutation, bytes: encodeGGUF({ version: p.header.version === 2 ? 2 : 3, alignment: p.header.alignment, metadata: md, tensors: ts }) };
};

const byteFlips: Mutator = (p, r) => {
  const b = copy(p.file.bytes);
  const n = 1 + int(r, 8);
  // Mostly in the header, where structure lives; sometimes anywhere.
  const span = r() < 0.85 ? p.header.dataOffset : b.length;
  const at: number[] = [];
  for (let k = 0; k < n; k++) {
    const o = int(r, span);
    b[o] = r() < 0.5 ? b[o]! ^ (1 << int(r, 8)) : int(r, 256);
    at.push(o);
  }
  return { mutation: `${n} byte flip(s) at ${at.join(',')}`, bytes: b };
};

const fieldGarbage: Mutator = (p, r) => {
  const f = pick(r, p.fields);
  const b = copy(p.file.bytes);
  for (let k = 0; k < Math.min(f.size, 8); k++) b[f.offset + k] = int(r, 256);
  return { mutation: `random bytes in ${f.kind}${f.owner ? ` of '${f.owner}'` : ''} at ${f.offset}`, bytes: b };
};

const splice: Mutator = (p, r) => {
  const f = pick(r, p.fields);
  const at = f.offset;
  const b = p.file.bytes;
  if (r() < 0.5) {
    const n = 1 + int(r, 16);
    return { mutation: `${n} bytes deleted at ${at}`, bytes: Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + n))]) };
  }
  const ins = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
  return { mutation: `${ins.length} bytes inserted at ${at}`, bytes: Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]) };
};

const MUTATORS: readonly [string, Mutator, number][] = [
  ['truncate-boundary', truncateAtBoundary, 12],
  ['truncate-random', truncateRandom, 4],
  ['huge-count', hugeCount, 10],
  ['count-off-by-n', smallCountChange, 6],
  ['wrong-type-tag', wrongTypeTag, 8],
  ['tensor-type', tensorTypeId, 6],
  ['tensor-offset', tensorOffset, 10],
  ['absurd-dims', absurdDims, 8],
  ['bad-alignment', badAlignment, 4],
  ['bad-utf8', badUtf8, 6],
  ['duplicate-key', duplicateKeyBytes, 3],
  ['rebuild', rebuild, 10],
  ['byte-flips', byteFlips, 10],
  ['field-garbage', fieldGarbage, 6],
  ['splice', splice, 4],
];
const TOTAL_WEIGHT = MUTATORS.reduce((s, m) => s + m[2], 0);

export const MUTATOR_NAMES = MUTATORS.map((m) => m[0]);

/** Case `index` of run `seed`: one or (sometimes) two stacked mutations of one corpus file. */
export function makeCase(corpus: readonly Parsed[], seed: number, index: number): FuzzCase {
  const r = caseRandom(seed, index);
  const src = corpus[int(r, corpus.length)]!;
  const rounds = r() < 0.15 ? 2 : 1;
  let cur: Parsed = src;
  const names: string[] = [];
  let bytes = src.file.bytes;
  for (let k = 0; k < rounds; k++) {
    let out: { mutation: string; bytes: Uint8Array } | null = null;
    for (let tries = 0; !out && tries < 10; tries++) {
      let w = r() * TOTAL_WEIGHT;
      let m = MUTATORS[0]!;
      for (const x of MUTATORS) {
        w -= x[2];
        if (w < 0) { m = x; break; }
      }
      out = m[1](cur, r);
      if (out) names.push(`${m[0]}: ${out.mutation}`);
    }
    if (!out) break;
    bytes = out.bytes;
    if (k + 1 < rounds) {
      // Stack a second mutation only on a variant that still parses (so it has a structure map).
      try {
        cur = { file: { name: src.file.name, bytes }, header: parseGGUFHeader(bytes), fields: mapFields(bytes) };
      } catch {
        break;
      }
    }
  }
  return { index, source: src.file.name, mutation: names.join(' + '), bytes };
}
