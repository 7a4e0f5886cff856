// Passkey retrieval evaluation (issue 4, criteria 6-8): greedy continuation of each case's prompt, scored
// against the answer and against the reference continuation computed by an independent implementation.
// Shared by `selfextend passkey`, `selfextend demo` and the tests.
import * as fs from 'node:fs';
import type { Model } from '../engine/types';
import type { SelfExtendParams } from './types';

export interface PasskeyCase {
  length: number;
  depth?: number;
  prompt: string;
  answer: string;
  group?: number;
  window?: number;
  plain_output?: string;
  selfextend_output?: string;
}

/** 'plain': G = 1. 'selfextend': the given G/W, or each case's own when omitted. */
export type PasskeyMode = { kind: 'plain' } | { kind: 'selfextend'; se?: SelfExtendParams };

export interface PasskeyCaseResult {
  index: number;
  length: number;
  prompt: string;
  answer: string;
  output: string;
  exact: boolean;
  prefix3: boolean;
  /** Equal to the reference continuation for this mode; null when the case carries none. */
  agrees: boolean | null;
  reference: string | null;
  se: SelfExtendParams;
}

export interface PasskeyLengthSummary {
  length: number;
  n: number;
  accuracy: number;
  prefix3: number;
  /** Fraction agreeing with the reference continuation; null when no case had one. */
  agreement: number | null;
}

export function parseCases(text: string, source = 'cases'): PasskeyCase[] {
  const out: PasskeyCase[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const c = o as Partial<PasskeyCase>;
    if (typeof c.prompt !== 'string' || typeof c.answer !== 'string' || typeof c.length !== 'number') {
      throw new Error(`${source}:${i + 1}: a case needs "prompt" (string), "answer" (string) and "length" (number)`);
    }
    out.push(c as PasskeyCase);
  });
  if (out.length === 0) throw new Error(`${source}: no cases`);
  return out;
}

export function loadCases(file: string): PasskeyCase[] {
  return parseCases(fs.readFileSync(file, 'utf8'), file);
}

/**
 * A deterministic subset: the first `perLength` cases of each length, in file order (the cases file
 * interleaves depths, so the first ones already spread over the prompt).
 */
export function subsetPerLength(cases: PasskeyCase[], perLength: number): PasskeyCase[] {
  const seen = new Map<number, number>();
  return cases.filter((c) => {
    const n = seen.get(c.length) ?? 0;
    seen.set(c.length, n + 1);
    return n < perLength;
  });
}

function paramsFor(mode: PasskeyMode, c: PasskeyCase): SelfExtendParams {
  if (mode.kind === 'plain') return { groupSize: 1, neighborWindow: 0 };
  if (mode.se) return mode.se;
  if (typeof c.group !== 'number' || typeof c.window !== 'number') {
    throw new Error(`passkey: case of length ${c.length} has no "group"/"window"; pass --group G --window W`);
  }
  return { groupSize: c.group, neighborWindow: c.window };
}

export function stripLeadingSpace(s: string): string {
  return s.startsWith(' ') ? s.slice(1) : s;
}

export interface EvaluateOptions {
  onCase?: (done: number, total: number, r: PasskeyCaseResult) => void;
  signal?: AbortSignal;
}

/** Greedy decoding of answer-length + 1 tokens per case (the leading space and the digits). */
export async function evaluatePasskey(model: Model, cases: PasskeyCase[], mode: PasskeyMode, o: EvaluateOptions = {}): Promise<PasskeyCaseResult[]> {
  const results: PasskeyCaseResult[] = [];
  for (let index = 0; index < cases.length; index++) {
    if (o.signal?.aborted) throw new Error('passkey: cancelled');
    const c = cases[index];
    const se = paramsFor(mode, c);
    // Decoded here, not from chunk.text: a continuation keeps the space its first piece carries ("▁1"),
    // which a stream decoder for a whole text would drop as the SPM space prefix.
    const dec = model.tokenizer.createStreamDecoder({ skipSpecial: true, stripLeadingSpace: false });
    let output = '';
    for await (const chunk of model.generate(c.prompt, { greedy: true, maxTokens: c.answer.length + 1, selfExtend: se, signal: o.signal })) {
      for (const id of chunk.ids) output += dec.push(id);
    }
    output += dec.flush();
    const got = stripLeadingSpace(output);
    const reference = (mode.kind === 'plain' ? c.plain_output : c.selfextend_output) ?? null;
    // The reference continuation is only comparable when it was computed with the same G/W.
    const sameParams = mode.kind === 'plain' || (c.group === se.groupSize && c.window === se.neighborWindow);
    const r: PasskeyCaseResult = {
      index,
      length: c.length,
      prompt: c.prompt,
      answer: c.answer,
      output,
      exact: got === c.answer,
      prefix3: got.slice(0, 3) === c.answer.slice(0, 3),
      agrees: reference !== null && sameParams ? output === reference : null,
      reference: sameParams ? reference : null,
      se,
    };
    results.push(r);
    o.onCase?.(index + 1, cases.length, r);
  }
  return results;
}

export function summarize(results: PasskeyCaseResult[]): PasskeyLengthSummary[] {
  const byLength = new Map<number, PasskeyCaseResult[]>();
  for (const r of results) {
    let a = byLength.get(r.length);
    if (!a) byLength.set(r.length, (a = []));
    a.push(r);
  }
  return [...byLength.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([length, rs]) => {
      const withRef = rs.filter((r) => r.agrees !== null);
      return {
        length,
        n: rs.length,
        accuracy: rs.filter((r) => r.exact).length / rs.length,
        prefix3: rs.filter((r) => r.prefix3).length / rs.length,
        agreement: withRef.length ? withRef.filter((r) => r.agrees).length / withRef.length : null,
      };
    });
}

/**
 * KV-cache capacity that holds every case: a token covers at least one UTF-8 byte (byte fallback), so
 * bytes + BOS/space prefix + the generated tokens bound the longest sequence without tokenizing.
 */
export function contextNeeded(cases: PasskeyCase[]): number {
  let max = 0;
  for (const c of cases) max = Math.max(max, Buffer.byteLength(c.prompt, 'utf8') + Buffer.byteLength(c.answer, 'utf8') + 8);
  return max;
}
