// Webview → host message fuzzer (issue 13): random and mutated messages against the host validator
// (extension/protocol.ts parseWebviewMessage). Oracle: an independent reading of the protocol's rules
// below. An invalid message that is accepted, or an accepted one that carries anything unvalidated, is an
// escape; an exception, or a valid message refused, is a crash (the validator broke its contract).
import { LIMITS, parseWebviewMessage, ProtocolError } from '../../extension/protocol';
import type { FuzzFailure, FuzzSummary, FuzzTarget } from './types';
import { Rng } from './rng';

const TYPES = ['ready', 'ask', 'stop', 'newChat', 'openChat', 'deleteChat', 'copyCode', 'insertCode', 'openFile', 'selectModel', 'downloadModel', 'openSettings', 'showStatus'] as const;
const NO_PAYLOAD = new Set(['ready', 'stop', 'newChat', 'selectModel', 'showStatus']);

/** What the protocol says a valid message is, written independently of the validator. */
function expected(m: unknown): Record<string, unknown> | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const r = m as Record<string, unknown>;
  const t = r['type'];
  if (typeof t !== 'string' || !(TYPES as readonly string[]).includes(t)) return null;
  if (NO_PAYLOAD.has(t)) return { type: t };
  const s = (k: string): string | null => (typeof r[k] === 'string' ? (r[k] as string) : null);
  switch (t) {
    case 'ask': {
      const v = s('text');
      return v !== null && v.length <= LIMITS.questionChars && v.trim() !== '' ? { type: t, text: v } : null;
    }
    case 'copyCode':
    case 'insertCode': {
      const v = s('code');
      return v !== null && v.length <= LIMITS.codeChars ? { type: t, code: v } : null;
    }
    case 'openFile': {
      const v = s('path');
      if (v === null || v.trim() === '' || v.length > LIMITS.pathChars) return null;
      if (v.includes('\0') || v.includes('\\') || v.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(v)) return null;
      return v.split('/').some((x) => x === '' || x === '..') ? null : { type: t, path: v };
    }
    case 'openChat':
    case 'deleteChat': {
      const v = s('chatId');
      return v !== null && v.length <= LIMITS.idChars && /^[A-Za-z0-9_-]+$/.test(v) ? { type: t, chatId: v } : null;
    }
    case 'downloadModel': {
      if (r['modelId'] === undefined) return { type: t };
      const v = s('modelId');
      return v !== null && v.length <= LIMITS.idChars && /^[A-Za-z0-9._-]+$/.test(v) && !v.includes('..') ? { type: t, modelId: v } : null;
    }
    case 'openSettings': {
      if (r['query'] === undefined) return { type: t };
      const v = s('query');
      return v !== null && v.length <= LIMITS.settingsQueryChars ? { type: t, query: v } : null;
    }
  }
  return null;
}

const HOSTILE_STRINGS = [
  '', ' ', '\n', '..', '../..', '../../etc/passwd', '/etc/passwd', 'C:\\x', 'c:/x', 'file:///etc/passwd', 'command:workbench.action.x', 'vscode://x',
  'a/../b', 'a//b', 'a/./b', './a', 'a\0b', '\u202e', '\u001b[31m', '<script>alert(1)</script>', 'constructor', '__proto__', 'prototype', 'toString',
  'a'.repeat(128), 'a'.repeat(129), 'x.'.repeat(64), 'qwen2.5-coder', 'qwen..x', 'id_-OK', '\ud800', '😀', 'ok/path.ts', 'src/a.ts', 'a b',
];

function randomString(rng: Rng): string {
  switch (rng.int(6)) {
    case 0: return rng.pick(HOSTILE_STRINGS);
    case 1: return rng.pick(['a', 'x', '-', '.', '/', '\\', ' ', '\n', 'é', '\0', '😀', '_', '9']).repeat(rng.pick([1, 2, 5, 64, 127, 128, 129, 255, 256, 257, 4095, 4096, 4097]));
    case 2: return 'q'.repeat(rng.pick([LIMITS.questionChars - 1, LIMITS.questionChars, LIMITS.questionChars + 1, LIMITS.settingsQueryChars + 1, LIMITS.pathChars + 1]));
    case 3: return Array.from({ length: rng.int(20) }, () => String.fromCharCode(rng.int(0x3000))).join('');
    case 4: return Array.from({ length: 1 + rng.int(5) }, () => rng.pick(['src', 'a.ts', '..', '.', '', 'x y', 'é'])).join('/');
    default: return rng.pick([...TYPES]);
  }
}

function randomValue(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 3 ? 7 : 10)) {
    case 0: return randomString(rng);
    case 1: return rng.pick([0, -0, 1, -1, 1e308, NaN, Infinity, -Infinity, 2 ** 53, 0.5]);
    case 2: return rng.pick([true, false, null, undefined]);
    case 3: return BigInt(rng.int(1000));
    case 4: return new Date(rng.int(1e12));
    case 5: return randomString(rng);
    case 6: return rng.pick([...TYPES]);
    case 7: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    case 8: return new Map([[randomString(rng), randomValue(rng, depth + 1)]]);
    default: return randomObject(rng, depth + 1);
  }
}

const KEYS = ['type', 'text', 'code', 'path', 'chatId', 'modelId', 'query', '__proto__', 'constructor', 'extra', 'then', 'toJSON'];

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) o[rng.pick(KEYS)] = randomValue(rng, depth + 1);
  return o;
}

/** A well-formed message of a random type, then zero or more mutations. */
function mutated(rng: Rng): unknown {
  const type = rng.pick([...TYPES]);
  const valid: Record<string, unknown> = { type };
  if (type === 'ask') valid['text'] = 'What does main.ts do?';
  if (type === 'copyCode' || type === 'insertCode') valid['code'] = 'const x = 1;';
  if (type === 'openFile') valid['path'] = 'src/main.ts';
  if (type === 'openChat' || type === 'deleteChat') valid['chatId'] = 'chat_1700000000000-abc';
  if (type === 'downloadModel' && rng.bool()) valid['modelId'] = 'qwen2.5-coder-1.5b-instruct-q4_k_m';
  if (type === 'openSettings' && rng.bool()) valid['query'] = 'selfextend';
  // Half the time the type's own field gets a hostile or boundary value (where validators slip).
  const own = Object.keys(valid).find((k) => k !== 'type');
  if (own && rng.bool()) valid[own] = rng.int(4) === 0 ? randomValue(rng, 2) : randomString(rng);
  for (let n = rng.int(4); n > 0; n--) {
    const key = rng.pick(KEYS);
    switch (rng.int(4)) {
      case 0: valid[key] = randomValue(rng, 2); break;
      case 1: delete valid[key]; break;
      case 2: valid[key] = randomString(rng); break;
      default: if (typeof valid[key] === 'string') valid[key] = (valid[key] as string) + randomString(rng);
    }
  }
  // JSON round trip sometimes: a real __proto__ own key, as a webview's JSON message could carry.
  if (rng.int(8) === 0) {
    try {
      return JSON.parse(JSON.stringify(valid, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).replace('"extra"', '"__proto__"'));
    } catch {
      return valid;
    }
  }
  return valid;
}

/** The fuzzer over a given validator (tests pass a broken one to show the oracle catches it). */
export function messagesFuzzer(validate: (raw: unknown) => ReturnType<typeof parseWebviewMessage>): FuzzTarget {
  return (opts) => run(validate, opts);
}

export const fuzzMessages: FuzzTarget = messagesFuzzer(parseWebviewMessage);

async function run(validate: (raw: unknown) => ReturnType<typeof parseWebviewMessage>, opts: Parameters<FuzzTarget>[0]): Promise<FuzzSummary> {
  const rng = new Rng(opts.seed);
  const failures: FuzzFailure[] = [];
  const s: FuzzSummary = { target: 'messages', cases: opts.cases, seed: opts.seed, crashes: 0, hangs: 0, escapes: 0, rejected: 0, accepted: 0, ms: 0, failures };
  const t0 = performance.now();
  const fail = (i: number, kind: FuzzFailure['kind'], detail: string): void => {
    s[kind === 'crash' ? 'crashes' : kind === 'hang' ? 'hangs' : 'escapes']++;
    if (failures.length < 50) failures.push({ case: i, kind, detail });
  };
  for (let i = 0; i < opts.cases; i++) {
    const msg = rng.int(3) === 0 ? randomValue(rng, 0) : mutated(rng);
    const want = expected(msg);
    const c0 = performance.now();
    let got: ReturnType<typeof parseWebviewMessage>;
    try {
      got = validate(msg);
    } catch (e) {
      fail(i, 'crash', `threw ${String(e).slice(0, 200)} on ${describe(msg)}`);
      continue;
    }
    if (performance.now() - c0 > opts.caseTimeoutMs) fail(i, 'hang', `${(performance.now() - c0).toFixed(0)} ms on ${describe(msg)}`);
    if (got instanceof ProtocolError) {
      if (want) fail(i, 'crash', `valid message refused (${got.message}): ${describe(msg)}`);
      else if (!got.message || got.message.length > 200) fail(i, 'crash', `unreadable refusal '${got.message.slice(0, 80)}'`);
      else s.rejected++;
      continue;
    }
    if (!want) {
      fail(i, 'escape', `invalid message accepted: ${describe(msg)} → ${describe(got)}`);
      continue;
    }
    // Accepted: exactly the validated fields, a fresh object (nothing unvalidated reaches a handler).
    if (got === msg || JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(want).sort()) || Object.getPrototypeOf(got) !== Object.prototype) {
      fail(i, 'escape', `accepted message carries unvalidated data: ${describe(got)}, expected ${describe(want)}`);
      continue;
    }
    s.accepted++;
    if (i % 100 === 0) opts.onProgress?.(i);
  }
  opts.onProgress?.(opts.cases);
  s.ms = Math.round(performance.now() - t0);
  return s;
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'string' && x.length > 60 ? `${x.slice(0, 60)}…(${x.length})` : x))?.slice(0, 300) ?? String(v);
  } catch {
    try {
      return String(v).slice(0, 300);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
}
