// SelfExtend parameter rules (arXiv 2401.01325): validation of G/W and the paper's choice of G for a
// target context. Pure functions, shared by the attention module, the engine, the CLI and the extension.
import type { SelfExtendParams } from './types';

export class SelfExtendParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelfExtendParamsError';
  }
}

/** Largest head dimension the attention kernels take (workgroup memory stays under WebGPU's 16 KiB default). */
export const MAX_HEAD_DIM = 128;

/** Why the attention kernels cannot run this head dimension, or null when they can (multiples of 4 up to 128). */
export function headDimProblem(headDim: number): string | null {
  if (Number.isInteger(headDim) && headDim > 0 && headDim % 4 === 0 && headDim <= MAX_HEAD_DIM) return null;
  return `attention: head dim ${headDim} is not supported (multiples of 4 up to ${MAX_HEAD_DIM})`;
}

/** Plain attention expressed as SelfExtend parameters (G = 1 makes every score a neighbour score). */
export const PLAIN: SelfExtendParams = Object.freeze({ groupSize: 1, neighborWindow: 0 });

/** True when the parameters ask for grouped positions at all (G > 1). */
export function isSelfExtend(se: SelfExtendParams | undefined): se is SelfExtendParams {
  return se !== undefined && se.groupSize > 1;
}

/** Tokens reachable with group size G and neighbour window W for a model trained on L tokens. */
export function reachableContext(trainedContext: number, se: SelfExtendParams): number {
  if (se.groupSize <= 1) return trainedContext;
  return (trainedContext - se.neighborWindow) * se.groupSize + se.neighborWindow;
}

/**
 * Throws a SelfExtendParamsError that says what to change when G/W are unusable. With G = 1 (plain
 * attention) W is ignored. `trainedContext` may be omitted when unknown; then only W % G is checked.
 */
export function validateSelfExtend(se: SelfExtendParams, trainedContext?: number): void {
  const { groupSize: g, neighborWindow: w } = se;
  if (!Number.isInteger(g) || g < 1) {
    throw new SelfExtendParamsError(`SelfExtend group size G must be an integer >= 1 (got ${g}); use G = 1 for plain attention.`);
  }
  if (g === 1) return;
  if (!Number.isInteger(w) || w < 1) {
    throw new SelfExtendParamsError(`SelfExtend neighbor window W must be a positive integer (got ${w}).`);
  }
  if (w % g !== 0) {
    const lo = Math.floor(w / g) * g;
    const hi = lo + g;
    const hint = lo > 0 ? `W = ${lo} or W = ${hi}` : `W = ${hi}`;
    throw new SelfExtendParamsError(
      `SelfExtend neighbor window W = ${w} must be a multiple of group size G = ${g} (try ${hint}).`,
    );
  }
  if (trainedContext !== undefined && w >= trainedContext) {
    throw new SelfExtendParamsError(
      `SelfExtend neighbor window W = ${w} must be smaller than the model's trained context L = ${trainedContext} ` +
        `(neighbour positions are exact, so W >= L would already be out of distribution); try W <= ${Math.floor(trainedContext / 4)}.`,
    );
  }
}

export interface SelfExtendChoice extends SelfExtendParams {
  trainedContext: number;
  targetContext: number;
  /** (L − W)·G + W: the longest sequence whose grouped distances stay below L. */
  reachableContext: number;
  /** One line for logs and the UI, e.g. "SelfExtend G=4 W=512: reaches 6656 tokens (trained 2048, asked 6000)". */
  description: string;
}

export interface ChooseSelfExtendInput {
  /** L: the model's trained context window. */
  trainedContext: number;
  /** N: the sequence length the request needs (prompt + generation). */
  targetContext: number;
  /** W; default: the documented fraction DEFAULT_WINDOW_FRACTION of L, rounded down to a multiple of G. */
  neighborWindow?: number;
  /** Upper bound for G (default 64): beyond it positions are so coarse that results degrade badly. */
  maxGroupSize?: number;
}

/** Default W = L / 4 (rounded down to a multiple of G): the paper uses W between L/8 and L/2. */
export const DEFAULT_WINDOW_FRACTION = 0.25;

export function defaultWindow(trainedContext: number, groupSize: number): number {
  return Math.floor((trainedContext * DEFAULT_WINDOW_FRACTION) / groupSize) * groupSize;
}

/**
 * The paper's rule: the smallest G with (L − W)·G + W >= N. G = 1 (plain) when N <= L. Throws when no
 * G up to maxGroupSize reaches N, saying what is reachable.
 */
export function chooseSelfExtend(input: ChooseSelfExtendInput): SelfExtendChoice {
  const L = input.trainedContext;
  const N = input.targetContext;
  const maxG = input.maxGroupSize ?? 64;
  if (!Number.isInteger(L) || L < 2) throw new SelfExtendParamsError(`trained context L must be an integer >= 2 (got ${L}).`);
  if (!Number.isInteger(N) || N < 1) throw new SelfExtendParamsError(`target context N must be a positive integer (got ${N}).`);
  const describe = (c: Omit<SelfExtendChoice, 'description'>): SelfExtendChoice => ({
    ...c,
    description:
      c.groupSize === 1
        ? `plain attention: ${N} tokens fit in the trained context of ${L}`
        : `SelfExtend G=${c.groupSize} W=${c.neighborWindow}: reaches ${c.reachableContext} tokens (trained ${L}, asked ${N})`,
  });
  if (N <= L) {
    return describe({ groupSize: 1, neighborWindow: input.neighborWindow ?? defaultWindow(L, 1), trainedContext: L, targetContext: N, reachableContext: L });
  }
  // The best usable choice, for the message: G values the rule skips (W < G, W not a multiple of G)
  // reach nothing, so quoting G = maxG would promise more than any usable setting gives.
  let best: { g: number; w: number; reach: number } | null = null;
  for (let g = 2; g <= maxG; g++) {
    const w = input.neighborWindow ?? defaultWindow(L, g);
    if (w < g || w % g !== 0 || w >= L) continue;
    const reach = reachableContext(L, { groupSize: g, neighborWindow: w });
    if (reach >= N) {
      return describe({ groupSize: g, neighborWindow: w, trainedContext: L, targetContext: N, reachableContext: reach });
    }
    if (!best || reach > best.reach) best = { g, w, reach };
  }
  throw new SelfExtendParamsError(
    `No SelfExtend group size up to ${maxG} reaches ${N} tokens with a trained context of ${L}` +
      (input.neighborWindow !== undefined ? ` and W = ${input.neighborWindow}` : '') +
      (best ? ` (the most any usable G reaches is ${best.reach}, with G = ${best.g} W = ${best.w})` : ' (no G >= 2 is usable with that window)') +
      '. Shorten the input or use a model with a longer context.',
  );
}

/** The longest context any G up to maxGroupSize reaches with the default W (what chooseSelfExtend can serve). */
export function maxReachableContext(trainedContext: number, maxGroupSize = 64): number {
  let best = trainedContext;
  for (let g = 2; g <= maxGroupSize; g++) {
    const w = defaultWindow(trainedContext, g);
    if (w < g || w >= trainedContext) continue;
    best = Math.max(best, reachableContext(trainedContext, { groupSize: g, neighborWindow: w }));
  }
  return best;
}
