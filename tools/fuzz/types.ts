// The contract every `npm run fuzz -- --target NAME` target implements.
export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Per-case time limit; a case that exceeds it counts as a hang. */
  caseTimeoutMs: number;
  onProgress?: (done: number) => void;
}

export interface FuzzFailure {
  case: number;
  kind: 'crash' | 'hang' | 'escape';
  detail: string;
}

export interface FuzzSummary {
  target: string;
  cases: number;
  seed: number;
  crashes: number;
  hangs: number;
  escapes: number;
  /** Cases the code under test refused with a clear error (expected for hostile input). */
  rejected: number;
  accepted: number;
  ms: number;
  failures: FuzzFailure[];
}

export type FuzzTarget = (options: FuzzOptions) => Promise<FuzzSummary>;
