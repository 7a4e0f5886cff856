// The fuzzing corpus: every valid GGUF we have (fixtures, ../shared files when present) plus synthetic
// models of each architecture and tensor type, so mutations reach every reader and model-config path.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GGMLType } from './types';
import { meta } from './writer';
import { encodeSyntheticModel, type SyntheticModelOptions } from '../model/synthetic';
import type { CorpusFile } from './fuzz';

const SYNTHETIC: readonly (Pick<SyntheticModelOptions, 'architecture' | 'type'> & Partial<SyntheticModelOptions>)[] = [
  { architecture: 'llama', type: GGMLType.Q4_K, llama3RopeFreqs: true },
  { architecture: 'llama', type: GGMLType.Q6_K, tied: true },
  { architecture: 'llama', type: GGMLType.F32, version: 2, linearRopeScale: 2 },
  { architecture: 'qwen2', type: GGMLType.Q8_0 },
  { architecture: 'qwen2', type: GGMLType.Q5_1, tied: true },
  { architecture: 'qwen3', type: GGMLType.F16 },
  { architecture: 'qwen3', type: GGMLType.Q4_0, alignment: 64 },
  { architecture: 'llama', type: GGMLType.BF16 },
  { architecture: 'qwen2', type: GGMLType.Q5_K },
  { architecture: 'qwen3', type: GGMLType.Q4_1, tied: true },
  { architecture: 'llama', type: GGMLType.Q5_0, tokenizer: 'none' },
];

/** Paths of the real GGUF files available under `root` (the repository) and `root/../shared`. */
export function realCorpusPaths(root: string): string[] {
  const out = [join(root, 'assets', 'models', 'passkey-char-128.gguf')];
  const shared = join(root, '..', 'shared');
  const stories = join(shared, 'models', 'stories260K.gguf');
  if (existsSync(stories)) out.push(stories);
  const vocab = join(shared, 'vocab');
  if (existsSync(vocab)) for (const n of readdirSync(vocab).sort()) if (n.endsWith('.gguf')) out.push(join(vocab, n));
  return out.filter((p) => existsSync(p));
}

export function buildCorpus(root: string): CorpusFile[] {
  const files: CorpusFile[] = realCorpusPaths(root).map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1), bytes: readFileSync(p) }));
  SYNTHETIC.forEach((o, i) => {
    const name = `synthetic-${o.architecture}-${GGMLType[o.type]}${o.tied ? '-tied' : ''}${o.version === 2 ? '-v2' : ''}`;
    files.push({
      name,
      bytes: encodeSyntheticModel({
        seed: 100 + i,
        nLayers: 1,
        vocabSize: 272,
        dim: 256,
        ffnDim: 256,
        ...o,
        name,
        // An explicit general.alignment key gives the alignment mutators a field to corrupt.
        extraMetadata: o.alignment ? [] : [meta.u32('general.alignment', 32)],
      }),
    });
  });
  return files;
}
