// The `auto` target (issue 12 point 7): how many tokens a question may use when the setting is not a
// fixed number. The window a question wants is the whole repository plus the question and the answer;
// it is capped by what fits the GPU memory (weights already counted, SelfExtend's second key copy when
// the window exceeds the trained one), by SelfExtend's reach (G up to 64), and by an estimated
// first-answer prefill time (tokens per second measured on this GPU with this model × the allowed
// seconds; linear, so an optimistic bound at long contexts where attention grows quadratically).
// Pure: the hosts pass the measurements and show `cap` and `description` (meter, output channel).
import type { DeviceInfo } from '../device/gpu-device';
import type { ModelConfig } from '../model/types';
import { chooseSelfExtend, maxReachableContext } from '../attention/params';
import { largestRequestWithin } from './memory';

export type AutoTargetCap = 'repository' | 'memory' | 'reach' | 'time';

export interface AutoTargetInput {
  config: ModelConfig;
  weightsBytes: number;
  /** Tokens of the whole repository (as gathered for context). */
  repositoryTokens: number;
  questionTokens: number;
  answerTokens: number;
  /** GPU memory the engine may use in all (weights included). */
  memoryBytes: number;
  /** Prefill speed measured on this GPU with this model (tokens/s); omit before the first measurement. */
  prefillTokensPerSecond?: number;
  /** Longest acceptable wait for the first answer token (seconds), e.g. 30. */
  maxPrefillSeconds: number;
  info?: Pick<DeviceInfo, 'limits'>;
}

export interface AutoTarget {
  /** Tokens the request may use (prompt + answer). */
  window: number;
  /** Which bound chose the window. */
  cap: AutoTargetCap;
  groupSize: number;
  neighborWindow: number;
  /** Each bound, for display. */
  bounds: Record<AutoTargetCap, number>;
  description: string;
}

export function planAutoTarget(p: AutoTargetInput): AutoTarget {
  const L = p.config.contextLength;
  const bounds: Record<AutoTargetCap, number> = {
    repository: p.repositoryTokens + p.questionTokens + p.answerTokens,
    memory: largestRequestWithin(p.config, p.weightsBytes, p.memoryBytes, { info: p.info }),
    reach: maxReachableContext(L),
    time: p.prefillTokensPerSecond !== undefined ? Math.floor(p.prefillTokensPerSecond * p.maxPrefillSeconds) + p.answerTokens : Infinity,
  };
  // The repository comes first among equals: "the whole repository fits" is the answer users want.
  let cap: AutoTargetCap = 'repository';
  // Reach before memory: the memory bound never exceeds the reach (the planner's ceiling), so a tie is reach.
  for (const k of ['reach', 'memory', 'time'] as const) if (bounds[k] < bounds[cap]) cap = k;
  const window = Math.max(1, bounds[cap]);
  const se = chooseSelfExtend({ trainedContext: L, targetContext: window });
  const why: Record<AutoTargetCap, string> = {
    repository: 'the whole repository fits',
    memory: 'capped by GPU memory',
    reach: "capped by SelfExtend's reach",
    time: `capped by the ${p.maxPrefillSeconds} s first-answer time`,
  };
  return {
    window,
    cap,
    groupSize: se.groupSize,
    neighborWindow: se.neighborWindow,
    bounds,
    description: `auto target ${window} tokens (${why[cap]}); ${se.groupSize > 1 ? `SelfExtend G=${se.groupSize} W=${se.neighborWindow}` : 'plain attention'}`,
  };
}
