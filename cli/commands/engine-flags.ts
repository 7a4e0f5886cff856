// Flags shared by `generate` and `logits`: the prompt (text or ids), BOS handling, SelfExtend, context.
import { intFlag, parseIdList, rangeIntFlag, type Options } from '../args';
import type { SelfExtendParams } from '../../gpu/attention/types';
import type { Tokenizer } from '../../gpu/tokenizer/types';
import { parseKvCacheType, type KvCacheType } from '../../gpu/attention/kv-layout';

export const PROMPT_FLAGS = {
  prompt: { type: 'string' },
  'prompt-ids': { type: 'string' },
  'no-bos': { type: 'boolean' },
  group: { type: 'string' },
  window: { type: 'string' },
  'max-context': { type: 'string' },
  'kv-cache-type': { type: 'string' },
  chunk: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface PromptValues {
  prompt?: string;
  'prompt-ids'?: string;
  'no-bos'?: boolean;
  group?: string;
  window?: string;
  'max-context'?: string;
  'kv-cache-type'?: string;
  chunk?: string;
}

/** `--kv-cache-type f16|q8_0|f32` (the engine's LoadOptions.kvCacheType; default f16). */
export function kvCacheTypeFlag(v: string | undefined): KvCacheType | undefined {
  return v === undefined ? undefined : parseKvCacheType(v, '--kv-cache-type');
}

export function selfExtendFrom(v: PromptValues): SelfExtendParams | undefined {
  if (v.group === undefined && v.window === undefined) return undefined;
  const groupSize = intFlag(v.group, '--group', 1);
  const neighborWindow = intFlag(v.window, '--window', 0);
  if (groupSize < 1) throw new Error('--group must be >= 1');
  // A window alone (or with G = 1, plain attention) would be ignored: say so instead.
  if (v.group === undefined) throw new Error('--window needs --group G (SelfExtend group size, >= 2)');
  if (groupSize === 1 && v.window !== undefined) throw new Error('--window has no effect with --group 1 (plain attention); drop it or use --group >= 2');
  if (groupSize > 1 && v.window === undefined) throw new Error('--group needs --window W (a multiple of the group size)');
  return { groupSize, neighborWindow };
}

/**
 * The ids to evaluate. `--prompt-ids` are used as given with --no-bos; otherwise BOS is prepended only
 * when the model asks for one and the ids do not already start with it. Text goes through the tokenizer.
 */
export function promptIds(v: PromptValues, tok: Tokenizer): number[] {
  if ((v.prompt === undefined) === (v['prompt-ids'] === undefined)) throw new Error('give exactly one of --prompt "text" or --prompt-ids 1,2,3');
  const noBos = v['no-bos'] === true;
  if (v.prompt !== undefined) return tok.encode(v.prompt, noBos ? { addBos: false } : {});
  const ids = parseIdList(v['prompt-ids']!, '--prompt-ids');
  if (ids.length === 0) throw new Error('--prompt-ids: no ids given');
  if (!noBos && tok.addBosDefault && tok.bosId !== null && ids[0] !== tok.bosId) return [tok.bosId, ...ids];
  return ids;
}

/** `-n`: tokens to generate, at least 1 (0 would still sample the token the prompt's last logits give). */
export function maxTokensFlag(v: string | undefined, def: number): number {
  return rangeIntFlag(v, '-n', def, 1, 1 << 20);
}

export function optionalInt(v: string | undefined, flag: string): number | undefined {
  return v === undefined ? undefined : intFlag(v, flag, 0);
}

export function progressToStderr(enabled: boolean): ((p: { bytesDone: number; bytesTotal: number }) => void) | undefined {
  if (!enabled) return undefined;
  let lastPct = -1;
  return (p) => {
    const pct = Math.floor((100 * p.bytesDone) / Math.max(1, p.bytesTotal));
    if (pct !== lastPct && pct % 10 === 0) {
      lastPct = pct;
      process.stderr.write(`loading ${pct}%\r`);
    }
  };
}
