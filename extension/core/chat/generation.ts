// Streams one generation and collects what the UI and the CLI report about it.
import type { FinishReason, Model } from '../../../gpu/engine/types';
import type { SelfExtendParams } from '../../../gpu/attention/types';
import type { AssistantSettings } from './settings';

export interface GenerationStats {
  text: string;
  promptTokens: number;
  cachedTokens: number;
  generatedTokens: number;
  ttftMs: number;
  prefillTps: number;
  decodeTps: number;
  finishReason: FinishReason;
}

export interface GenerationRequest {
  tokens: readonly number[];
  selfExtend: SelfExtendParams;
  maxTokens: number;
  settings: Pick<AssistantSettings, 'temperature' | 'topP'>;
  signal?: AbortSignal;
  onToken?: (text: string) => void;
  onPrefill?: (done: number, total: number) => void;
}

export async function runGeneration(model: Model, req: GenerationRequest): Promise<GenerationStats> {
  const greedy = req.settings.temperature <= 0;
  let text = '';
  const stats: GenerationStats = {
    text: '', promptTokens: req.tokens.length, cachedTokens: 0, generatedTokens: 0, ttftMs: 0, prefillTps: 0, decodeTps: 0,
    finishReason: 'length',
  };
  const t0 = Date.now();
  for await (const chunk of model.generate(req.tokens, {
    maxTokens: Math.max(1, req.maxTokens),
    temperature: req.settings.temperature,
    greedy,
    topP: req.settings.topP,
    signal: req.signal,
    selfExtend: req.selfExtend,
    reuseCache: true,
    // addBos left at the engine default: BOS is prepended only if the model wants one and the
    // template did not already emit it (TinyLlama's template relies on the tokenizer for BOS).
    onPrefillProgress: req.onPrefill,
  })) {
    if (chunk.text) {
      text += chunk.text;
      req.onToken?.(chunk.text);
    }
    stats.promptTokens = chunk.promptTokens;
    stats.cachedTokens = chunk.cachedTokens;
    stats.generatedTokens = chunk.generatedTokens;
    stats.ttftMs = chunk.timings.ttftMs || (stats.ttftMs === 0 ? Date.now() - t0 : stats.ttftMs);
    stats.prefillTps = chunk.timings.prefillTps;
    stats.decodeTps = chunk.timings.decodeTps;
    if (chunk.finishReason) stats.finishReason = chunk.finishReason;
  }
  stats.text = text;
  return stats;
}
