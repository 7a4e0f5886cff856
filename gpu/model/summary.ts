// What `selfextend inspect` (and the extension's model picker) shows about a GGUF file. It never
// throws for an unsupported model: it reports everything readable plus the reason it cannot run.
import { GGUFError } from '../gguf/errors';
import { ggmlTypeName } from '../gguf/ggml-types';
import type { GGUFFile, GGUFValue } from '../gguf/types';
import { describeModel } from './config';
import type { ModelConfig } from './types';

export interface ModelSummary {
  path: string;
  fileSize: number;
  ggufVersion: number;
  alignment: number;
  metadataCount: number;
  tensorCount: number;
  /** Raw general.architecture, or null when absent. */
  architecture: string | null;
  name: string | null;
  supported: boolean;
  /** Why the engine cannot run it (GGUFError code and message) when unsupported. */
  reason: { code: string; message: string } | null;
  /** Hyper-parameters as found in metadata (for any architecture; null where absent). */
  dims: {
    embedding: number | null;
    layers: number | null;
    heads: number | null;
    kvHeads: number | null;
    headDim: number | null;
    ffn: number | null;
    vocab: number | null;
  };
  contextLength: number | null;
  rope: { layout: string | null; base: number | null; dim: number | null; scaling: string; scalingFactor: number | null; freqFactors: number | null };
  normEps: number | null;
  tiedEmbeddings: boolean;
  nParams: number;
  tensorBytes: number;
  tensorTypes: Record<string, number>;
  tokenizer: { model: string | null; pre: string | null; tokens: number | null };
  hasChatTemplate: boolean;
  /** The full engine configuration when supported. */
  config: ModelConfig | null;
}

function num(v: GGUFValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n) return Number(v);
  return null;
}

function str(v: GGUFValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

export async function summarizeModel(file: GGUFFile): Promise<ModelSummary> {
  const arch = str(file.getOptional('general.architecture'));
  const k = (s: string) => (arch ? file.getOptional(`${arch}.${s}`) : undefined);
  const tokens = file.getOptional('tokenizer.ggml.tokens');
  const embd = file.tensor('token_embd.weight');
  const tensorTypes: Record<string, number> = {};
  let nParams = 0;
  let tensorBytes = 0;
  for (const t of file.tensors) {
    const n = ggmlTypeName(t.type);
    tensorTypes[n] = (tensorTypes[n] ?? 0) + 1;
    nParams += t.nElements;
    if (t.byteLength > 0) tensorBytes += t.byteLength;
  }
  const embedding = num(k('embedding_length'));
  const heads = num(k('attention.head_count'));
  let config: ModelConfig | null = null;
  let reason: ModelSummary['reason'] = null;
  try {
    config = await describeModel(file);
  } catch (e) {
    if (!(e instanceof GGUFError)) throw e;
    reason = { code: e.code, message: e.message };
  }
  const tmpl = file.getOptional('tokenizer.chat_template');
  const scalingType = str(k('rope.scaling.type'));
  return {
    path: file.path,
    fileSize: file.fileSize,
    ggufVersion: file.version,
    alignment: file.alignment,
    metadataCount: file.metadata.size,
    tensorCount: file.tensors.length,
    architecture: arch,
    name: str(file.getOptional('general.name')),
    supported: config !== null,
    reason,
    dims: {
      embedding: config?.embeddingDim ?? embedding,
      layers: config?.nLayers ?? num(k('block_count')),
      heads: config?.nHeads ?? heads,
      kvHeads: config?.nKvHeads ?? num(k('attention.head_count_kv')) ?? heads,
      headDim: config?.headDim ?? num(k('attention.key_length')) ?? (embedding && heads ? embedding / heads : null),
      ffn: config?.ffnDim ?? num(k('feed_forward_length')),
      vocab: config?.vocabSize ?? (typeof tokens === 'object' ? tokens.values.length : (embd?.dims[1] ?? null)),
    },
    contextLength: config?.contextLength ?? num(k('context_length')),
    rope: {
      layout: config?.rope.layout ?? null,
      base: config?.rope.base ?? num(k('rope.freq_base')),
      dim: config?.rope.dim ?? num(k('rope.dimension_count')),
      scaling: config?.rope.scalingType ?? scalingType ?? (file.tensor('rope_freqs.weight') ? 'llama3' : 'none'),
      scalingFactor: num(k('rope.scaling.factor')),
      freqFactors: config?.rope.freqFactors?.length ?? null,
    },
    normEps: config?.normEps ?? num(k('attention.layer_norm_rms_epsilon')),
    tiedEmbeddings: config?.tiedEmbeddings ?? (file.tensors.length > 0 && !file.tensor('output.weight')),
    nParams,
    tensorBytes,
    tensorTypes,
    tokenizer: {
      model: str(file.getOptional('tokenizer.ggml.model')),
      pre: str(file.getOptional('tokenizer.ggml.pre')),
      tokens: typeof tokens === 'object' ? tokens.values.length : null,
    },
    hasChatTemplate: typeof tmpl === 'string' && tmpl.length > 0,
    config,
  };
}
