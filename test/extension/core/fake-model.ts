// A deterministic stand-in for gpu/engine's Model: one token per character, a chat template of
// "<role>content" markers, and a simulated KV cache (longest common prefix with the last request).
import type { GenerateChunk, GenerateOptions, Model } from '../../../gpu/engine/types';
import type { ModelConfig } from '../../../gpu/model/types';
import type { ChatMessage, StreamDecoder, Tokenizer } from '../../../gpu/tokenizer/types';
import type { DeviceInfo } from '../../../gpu/device/gpu-device';

const BOS = 1;
const EOS = 2;

export function charTokenizer(): Tokenizer {
  const encode = (text: string, opts?: { addBos?: boolean }): number[] => {
    const ids = [...text].map((c) => (c.codePointAt(0)! % 50000) + 3);
    return opts?.addBos === false || opts?.addBos === undefined ? ids : [BOS, ...ids];
  };
  const decode = (ids: readonly number[]): string => ids.filter((i) => i >= 3).map((i) => String.fromCodePoint(i - 3)).join('');
  return {
    kind: 'spm', vocabSize: 50003, bosId: BOS, eosId: EOS, stopIds: new Set([EOS]), addBosDefault: false,
    encode, decode,
    createStreamDecoder(): StreamDecoder {
      return { push: (id: number) => decode([id]), flush: () => '' };
    },
    tokenText: (id) => decode([id]),
    isSpecial: (id) => id < 3,
  };
}

export interface FakeCall {
  input: number[];
  opts: GenerateOptions;
  cached: number;
}

export class FakeModel implements Model {
  readonly path = '/fake/model.gguf';
  readonly tokenizer = charTokenizer();
  readonly device = {} as DeviceInfo;
  readonly config: ModelConfig;
  readonly calls: FakeCall[] = [];
  private cache: number[] = [];
  /** Answer for a request; default echoes how many prompt tokens it saw. */
  answer: (input: number[], call: number) => string = (input) => `answer after ${input.length} tokens`;
  /** Milliseconds per generated token (to test cancellation and queueing). */
  stepMs = 0;
  active = 0;
  maxActive = 0;

  constructor(trainedContext = 512, readonly maxContext = 8192, hasChatTemplate = true) {
    this.config = {
      architecture: 'llama', name: 'fake', vocabSize: 50003, embeddingDim: 8, nLayers: 1, nHeads: 1, nKvHeads: 1, headDim: 8, ffnDim: 8,
      contextLength: trainedContext, normEps: 1e-5,
      rope: { layout: 'adjacent', base: 10000, dim: 8, freqFactors: null, linearScale: 1, scalingType: 'none' },
      tiedEmbeddings: true, qkvBias: false, qkNorm: false, nParams: 0, tensorTypes: {}, hasChatTemplate,
    };
  }

  encodeChat(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): number[] {
    const text = messages.map((m) => `<${m.role}>${m.content}</>`).join('') + (opts?.addGenerationPrompt ? '<assistant>' : '');
    return [BOS, ...this.tokenizer.encode(text, { addBos: false })];
  }

  async *generate(input: string | readonly number[], opts: GenerateOptions = {}): AsyncGenerator<GenerateChunk, void, undefined> {
    const ids = typeof input === 'string' ? this.tokenizer.encode(input, { addBos: true }) : [...input];
    if (ids.length > this.maxContext) throw new Error('context full');
    let cached = 0;
    if (opts.reuseCache !== false) while (cached < ids.length - 1 && cached < this.cache.length && this.cache[cached] === ids[cached]) cached++;
    this.calls.push({ input: ids, opts, cached });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      this.cache = [...ids];
      opts.onPrefillProgress?.(ids.length, ids.length);
      const text = this.answer(ids, this.calls.length - 1);
      const chars = [...text];
      const max = opts.maxTokens ?? 256;
      const timings = { prefillMs: 1, ttftMs: 5, decodeMs: 1, prefillTps: 1000, decodeTps: 50 };
      let n = 0;
      for (const c of chars) {
        if (opts.signal?.aborted) {
          yield { text: '', ids: [], promptTokens: ids.length, cachedTokens: cached, generatedTokens: n, finishReason: 'aborted', timings };
          return;
        }
        if (this.stepMs > 0) await new Promise((r) => setTimeout(r, this.stepMs));
        n++;
        const id = this.tokenizer.encode(c)[0]!;
        this.cache.push(id);
        const last = n === chars.length || n >= max;
        yield { text: c, ids: [id], promptTokens: ids.length, cachedTokens: cached, generatedTokens: n, timings, ...(last ? { finishReason: n >= max && n < chars.length ? 'length' : 'stop-token' } : {}) };
        if (last) return;
      }
    } finally {
      this.active--;
    }
  }

  async logits(): Promise<Float32Array[]> {
    return [];
  }
  cachedTokens(): readonly number[] {
    return this.cache;
  }
  clearCache(): void {
    this.cache = [];
  }
  dispose(): void {}
}
