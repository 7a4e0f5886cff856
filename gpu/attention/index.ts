// Public entry of the attention module (RoPE, KV cache, plain and SelfExtend attention).
export { createAttention, SelfExtendAttention, planSplits } from './module';
export {
  validateSelfExtend,
  chooseSelfExtend,
  reachableContext,
  defaultWindow,
  isSelfExtend,
  PLAIN,
  DEFAULT_WINDOW_FRACTION,
  SelfExtendParamsError,
  type SelfExtendChoice,
  type ChooseSelfExtendInput,
} from './params';
export { referenceAttention, groupedQueryPos } from './reference';
export type * from './types';
