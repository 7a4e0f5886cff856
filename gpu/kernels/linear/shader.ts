// Assembles a kernel's WGSL: enables, compile-time constants, common.wgsl, the weight type's loader
// section of dequant.wgsl, then the kernel body, with a tiny line-based //#if FLAG / //#else / //#endif.
import { GGMLType } from '../../gguf/types';
import commonSrc from './common.wgsl';
import dequantSrc from './dequant.wgsl';
import matvecSrc from './matvec.wgsl';
import matmulSrc from './matmul.wgsl';
import embeddingSrc from './embedding.wgsl';

export type LinearKernelKind = 'matvec' | 'matmul' | 'embedding';

const KERNEL_SRC: Record<LinearKernelKind, string> = { matvec: matvecSrc, matmul: matmulSrc, embedding: embeddingSrc };

/** The `//#type NAME` section of dequant.wgsl for a type. */
export function typeSection(type: GGMLType): string {
  const name = GGMLType[type];
  const parts = dequantSrc.split(/^\/\/#type /m);
  for (const p of parts.slice(1)) {
    const nl = p.indexOf('\n');
    if (p.slice(0, nl).trim() === name) return p.slice(nl + 1);
  }
  throw new Error(`dequant.wgsl has no loader for ${name}`);
}

/** Keeps lines inside `//#if FLAG` blocks whose FLAG is set (and `//#else` parts of unset ones). No nesting. */
export function preprocess(src: string, flags: ReadonlySet<string>): string {
  const out: string[] = [];
  let keep = true;
  let inIf = false;
  for (const line of src.split('\n')) {
    const t = line.trim();
    const m = /^\/\/#if (\w+)$/.exec(t);
    if (m) {
      if (inIf) throw new Error('nested //#if is not supported');
      inIf = true;
      keep = flags.has(m[1]);
    } else if (t === '//#else') {
      keep = !keep;
    } else if (t === '//#endif') {
      inIf = false;
      keep = true;
    } else if (keep) {
      out.push(line);
    }
  }
  return out.join('\n');
}

export interface ShaderVariant {
  kind: LinearKernelKind;
  type: GGMLType;
  /** Compile-time u32 constants (NR, NT, WG for mat-vec). */
  consts?: Record<string, number>;
  subgroups?: boolean;
}

/** Unrolled FMA block of matmul.wgsl: TN/16 vec4 loads of staged tokens, TN/4 vec4 FMAs (constant indices only). */
function matmulUnrolled(src: string, tn: number): string {
  const lines: string[] = [];
  for (let h = 0; h < tn / 16; h++) {
    lines.push(`let b${h} = Xs[k * ${tn / 4}u + ${4 * h}u + tn];`);
    for (const [c, comp] of ['x', 'y', 'z', 'w'].entries()) lines.push(`acc[${4 * h + c}] += a * b${h}.${comp};`);
  }
  return src.replace('//#GEN_TILE_FMA', lines.join('\n      '));
}

export function buildShader(v: ShaderVariant): string {
  const flags = new Set<string>();
  const head: string[] = [];
  if (v.subgroups) {
    flags.add('SUBGROUPS');
    head.push('enable subgroups;');
  }
  for (const [k, n] of Object.entries(v.consts ?? {})) head.push(`const ${k}: u32 = ${n >>> 0}u;`);
  let kernel = preprocess(KERNEL_SRC[v.kind], flags);
  if (v.kind === 'matmul') kernel = matmulUnrolled(kernel, v.consts?.TN ?? 32);
  return [...head, commonSrc, typeSection(v.type), kernel].join('\n');
}
