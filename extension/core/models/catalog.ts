// The curated models offered on first run. Sizes and SHA-256 digests are those of the files at the
// `main` revision of each Hugging Face repository, as published in several independent public model
// catalogues (cross-checked when this list was written; no download was made from this machine).
// If an upstream repository re-uploads a file, the digest no longer matches and the downloader says
// so and removes the file rather than loading something unverified. Hugging Face also reports each
// LFS file's SHA-256 in the `x-linked-etag` header, which the downloader checks as well.
import type { ModelLayout } from '../../../gpu/engine/memory';

export interface CatalogModel {
  id: string;
  name: string;
  /** What it is good for, shown in the picker. */
  detail: string;
  url: string;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  /** Trained context window L (from the GGUF metadata). */
  contextLength: number;
  license: string;
  /** Suggested SelfExtend target for this model, when stretching is the point. */
  suggestedTargetContext?: number;
  /** The model's public shape: the GPU memory figures below are planned from it (test/engine/memory-plan.test.ts). */
  layout: CatalogLayout;
  /**
   * GPU memory the engine plans for a request filling the default target (CATALOG_TARGET_CONTEXT
   * tokens, SelfExtend's second key copy included when that exceeds the trained window), rounded up;
   * `detail` states it.
   */
  gpuBytesAtDefaultTarget: number;
  /** When that does not fit a 4 GiB GPU: the longest context that does (tokens), also stated in `detail`. */
  targetOn4GiB?: number;
}

/** Layer/head geometry of a catalogued model (its public config.json): the planner's layout less L. */
export type CatalogLayout = Omit<ModelLayout, 'contextLength'>;

/** The context the catalog's memory figures are stated for: the extension's default targetContext. */
export const CATALOG_TARGET_CONTEXT = 16384;

const HF = 'https://huggingface.co';

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'qwen2.5-coder-1.5b-instruct-q4_k_m',
    name: 'Qwen2.5-Coder 1.5B Instruct (Q4_K_M)',
    detail: 'Best default for code questions; 1.04 GiB file, 32K trained window; about 1.65 GiB of GPU memory at a 16K-token context.',
    url: `${HF}/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf`,
    fileName: 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    sizeBytes: 1_117_320_768,
    sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
    contextLength: 32768,
    license: 'Apache-2.0',
    layout: { nLayers: 28, embeddingDim: 1536, nHeads: 12, nKvHeads: 2, headDim: 128, ffnDim: 8960, vocabSize: 151936 },
    gpuBytesAtDefaultTarget: 1.65 * 2 ** 30,
  },
  {
    id: 'llama-3.2-3b-instruct-q4_k_m',
    name: 'Llama 3.2 3B Instruct (Q4_K_M)',
    detail: 'Stronger general answers; 1.88 GiB file; about 3.80 GiB of GPU memory at a 16K-token context (2.95 GiB at 8K).',
    url: `${HF}/bartowski/Llama-3.2-3B-Instruct-GGUF/resolve/main/Llama-3.2-3B-Instruct-Q4_K_M.gguf`,
    fileName: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    sizeBytes: 2_019_377_696,
    sha256: '6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff',
    contextLength: 131072,
    license: 'Llama 3.2 Community License',
    layout: { nLayers: 28, embeddingDim: 3072, nHeads: 24, nKvHeads: 8, headDim: 128, ffnDim: 8192, vocabSize: 128256 },
    gpuBytesAtDefaultTarget: 3.8 * 2 ** 30,
  },
  {
    id: 'smollm2-1.7b-instruct-q4_k_m',
    name: 'SmolLM2 1.7B Instruct (Q4_K_M)',
    detail: 'Small and quick; 0.98 GiB file, 8K trained window; about 5.65 GiB of GPU memory at a 16K-token context (32 KV heads), so a 4 GB GPU reaches about 10,400 tokens.',
    url: `${HF}/bartowski/SmolLM2-1.7B-Instruct-GGUF/resolve/main/SmolLM2-1.7B-Instruct-Q4_K_M.gguf`,
    fileName: 'SmolLM2-1.7B-Instruct-Q4_K_M.gguf',
    sizeBytes: 1_055_609_824,
    sha256: '77665ea4815999596525c636fbeb56ba8b080b46ae85efef4f0d986a139834d7',
    contextLength: 8192,
    license: 'Apache-2.0',
    suggestedTargetContext: 16384,
    layout: { nLayers: 24, embeddingDim: 2048, nHeads: 32, nKvHeads: 32, headDim: 64, ffnDim: 8192, vocabSize: 49152 },
    gpuBytesAtDefaultTarget: 5.65 * 2 ** 30,
    targetOn4GiB: 10400,
  },
  {
    id: 'tinyllama-1.1b-chat-v1.0-q4_k_m',
    name: 'TinyLlama 1.1B Chat v1.0 (Q4_K_M)',
    detail: 'SelfExtend showcase: a 2K trained window stretched to 8K+ with G = 4; 0.62 GiB file; about 1.30 GiB of GPU memory at a 16K-token context.',
    url: `${HF}/TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF/resolve/main/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf`,
    fileName: 'tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf',
    sizeBytes: 668_788_096,
    sha256: '9fecc3b3cd76bba89d504f29b616eedf7da85b96540e490ca5824d3f7d2776a0',
    contextLength: 2048,
    license: 'Apache-2.0',
    suggestedTargetContext: 8192,
    layout: { nLayers: 22, embeddingDim: 2048, nHeads: 32, nKvHeads: 4, headDim: 64, ffnDim: 5632, vocabSize: 32000 },
    gpuBytesAtDefaultTarget: 1.3 * 2 ** 30,
  },
];

export function findCatalogModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((m) => m.id === id);
}

export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} B`;
}
