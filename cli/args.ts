// Minimal, strict flag parsing shared by the CLI commands (node's util.parseArgs with friendlier errors).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
}

export function parseIdList(s: string, flag: string): number[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`${flag}: '${p}' is not a token id (expected comma-separated integers)`);
    return Number(p);
  });
}

export function intFlag(v: string | undefined, flag: string, def: number): number {
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v)) throw new Error(`${flag}: '${v}' is not an integer`);
  return Number(v);
}

/** An integer within [lo, hi]; out of range is an error that names the range, never a silent clamp. */
export function rangeIntFlag(v: string | undefined, flag: string, def: number, lo: number, hi: number): number {
  const x = intFlag(v, flag, def);
  if (v !== undefined && (x < lo || x > hi)) throw new Error(`${flag} must be between ${lo} and ${hi} (got ${v})`);
  return x;
}

/** A finite number, or undefined when the flag is absent. */
export function numberFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new Error(`${flag}: '${v}' is not a number`);
  return x;
}
