// Which attention a request uses and how many tokens it may fill: the "extended window".
import type { SelfExtendParams } from '../../../gpu/attention/types';
import { chooseSelfExtend, defaultWindow, maxReachableContext, reachableContext, SelfExtendParamsError, validateSelfExtend } from '../../../gpu/attention/params';
import type { SelfExtendSettings } from './settings';

export interface ExtendedWindow {
  /** What goes to Model.generate (groupSize 1 = plain). */
  params: SelfExtendParams;
  groupSize: number;
  neighborWindow: number;
  /** L: trained context. */
  trainedContext: number;
  /** (L − W)·G + W, or L for plain attention. */
  reachable: number;
  /** Tokens this request may use: reach, bounded by the KV-cache capacity (and the target when automatic). */
  window: number;
  description: string;
}

export function resolveWindow(se: SelfExtendSettings, trainedContext: number, kvCapacity: number): ExtendedWindow {
  const L = trainedContext;
  const plain = (why: string): ExtendedWindow => ({
    params: { groupSize: 1, neighborWindow: 0 }, groupSize: 1, neighborWindow: 0, trainedContext: L, reachable: L,
    window: Math.min(L, kvCapacity), description: why,
  });
  if (!se.enabled) return plain(`plain attention (SelfExtend disabled): window ${Math.min(L, kvCapacity)} tokens`);
  if (se.groupSize === 0) {
    // The target is an aim: past what any usable G reaches (a short trained window, a large KV cache)
    // the window is the longest reachable one instead of an error.
    const target = Math.min(se.targetContext, kvCapacity, maxReachableContext(L));
    const c = chooseSelfExtend({ trainedContext: L, targetContext: target, neighborWindow: se.neighborWindow > 0 ? se.neighborWindow : undefined });
    if (c.groupSize === 1) return plain(c.description);
    return {
      params: { groupSize: c.groupSize, neighborWindow: c.neighborWindow }, groupSize: c.groupSize, neighborWindow: c.neighborWindow,
      trainedContext: L, reachable: c.reachableContext, window: Math.min(target, c.reachableContext, kvCapacity), description: c.description,
    };
  }
  if (se.groupSize === 1) return plain(`plain attention (G = 1): window ${Math.min(L, kvCapacity)} tokens`);
  const w = se.neighborWindow > 0 ? se.neighborWindow : defaultWindow(L, se.groupSize);
  if (w === 0) {
    // The default W (L/4 rounded down to a multiple of G) is 0 when G > L/4: say that, not "W … (got 0)".
    throw new SelfExtendParamsError(
      `SelfExtend group size G = ${se.groupSize} is too large for a model trained on ${L} tokens: the default neighbor window ` +
        `(a quarter of ${L}, a multiple of G) would be 0. Use G <= ${Math.max(2, Math.floor(L / 4))} or set the window W explicitly.`,
    );
  }
  const params = { groupSize: se.groupSize, neighborWindow: w };
  validateSelfExtend(params, L); // throws an actionable SelfExtendParamsError
  const reach = reachableContext(L, params);
  return {
    params, groupSize: se.groupSize, neighborWindow: w, trainedContext: L, reachable: reach, window: Math.min(reach, kvCapacity),
    description: `SelfExtend G=${se.groupSize} W=${w}: reaches ${reach} tokens (trained ${L})${reach > kvCapacity ? `, KV cache holds ${kvCapacity}` : ''}`,
  };
}
