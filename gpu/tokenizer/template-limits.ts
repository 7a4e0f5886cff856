// Limits for rendering a chat template. The template comes from the model file, which anyone can
// write, and @huggingface/jinja renders synchronously on the calling thread: two nested
// range(100000) loops never return, range(10000000000) aborts Node with a V8 fatal error (which
// ends the whole process, worker threads included), range(50000000)|join runs out of memory. So
// the interpreter checks a deadline and a size budget as it goes, and refuses before allocating
// anything whose size it can predict (ranges, joins, replaces, indents, repetitions) — limits that
// hold in-thread, before any worker is terminated as a second line of defence.
import { Interpreter, type Environment } from '@huggingface/jinja';

/** Suggested by issue 10: a real template renders in milliseconds. */
export const DEFAULT_TEMPLATE_TIME_MS = 2000;
/** Output-size floor, so that small context windows still fit the template's own text. */
export const MIN_TEMPLATE_OUTPUT_CHARS = 65_536;
/** Longest list a template may build (range(), split(), list concatenation). Real templates iterate messages and tools. */
export const MAX_TEMPLATE_ITEMS = 100_000;
/** Deepest nesting of evaluations (macros calling themselves, deeply nested expressions). */
export const MAX_TEMPLATE_DEPTH = 400;
/** Longest template source accepted for parsing. */
export const MAX_TEMPLATE_SOURCE_CHARS = 1_000_000;

export interface TemplateLimits {
  /** Wall-clock time for one rendering (default 2 s). */
  timeMs?: number;
  /** Largest string (and serialized list or mapping) one rendering may produce. */
  maxOutputChars?: number;
}

export { ChatTemplateError, type TemplateLimitKind } from './template-errors';
import { ChatTemplateError, type TemplateLimitKind } from './template-errors';

/** Internal: thrown inside the interpreter, turned into a ChatTemplateError with the template's name. */
export class LimitExceeded extends Error {
  constructor(
    readonly kind: TemplateLimitKind,
    readonly what: string,
  ) {
    super(what);
  }
}

/**
 * The output limit for a model: 4× its context window in characters (issue 10), but never less than
 * 4× the characters of the messages themselves (a SelfExtend prompt can be longer than the trained
 * window) nor MIN_TEMPLATE_OUTPUT_CHARS.
 */
export function outputLimitFor(contextTokens: number, messageChars: number): number {
  return Math.max(MIN_TEMPLATE_OUTPUT_CHARS, 4 * contextTokens, 4 * messageChars);
}

/** What the user can do, said once for every limit. */
export const TEMPLATE_ADVICE =
  'The template in the model file is broken or hostile: use another model, or a GGUF re-converted with a correct tokenizer.chat_template.';

export function limitMessage(templateName: string, e: LimitExceeded): string {
  return `${templateName} was stopped: ${e.what}. ${TEMPLATE_ADVICE}`;
}

// Node shapes from @huggingface/jinja's AST, read structurally (the classes are not exported).
interface Node {
  type: string;
  [k: string]: unknown;
}
interface RuntimeValue {
  type: string;
  value: unknown;
}
/** A pseudo-node holding a value that is already evaluated; the parser never produces this type. */
const EVALUATED = 'SelfExtendEvaluated';

type Evaluate = (node: Node | undefined, env: Environment) => RuntimeValue;
type ApplyFilter = (operand: RuntimeValue, filter: Node, env: Environment) => RuntimeValue;
type EvaluateBlock = (statements: Node[], env: Environment) => RuntimeValue;

const isList = (v: RuntimeValue) => v.type === 'ArrayValue' || v.type === 'TupleValue';
const isMapping = (v: RuntimeValue) => v.type === 'ObjectValue' || v.type === 'KeywordArgumentsValue' || v.type === 'NamespaceValue';

function countOccurrences(s: string, sub: string, cap: number): number {
  if (sub === '') return Math.min(cap, [...s].length + 1);
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0 && n < cap; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

/**
 * An Interpreter that enforces TemplateLimits. It overrides the public `evaluate` and, on the instance,
 * three private methods of the library (`evaluateBlock`, `applyFilter` and the for-loop accumulation
 * seen through `evaluateBlock`), keeping their behaviour and adding checks.
 */
export class LimitedInterpreter extends Interpreter {
  private readonly deadline: number;
  private readonly maxChars: number;
  private depth = 0;
  /** Deep sizes of immutable values (lists, mappings), so a shared sub-list is measured once. */
  private readonly sizes = new WeakMap<object, number>();
  /** The for-loops being rendered, innermost last: their body and the characters rendered so far. */
  private readonly loops: { body: unknown; chars: number }[] = [];

  /** `deadline` is a performance.now() time; `limits.timeMs` is what the error message reports. */
  constructor(env: Environment, limits: Required<TemplateLimits>, deadline = performance.now() + limits.timeMs) {
    super(env);
    this.deadline = deadline;
    this.maxChars = limits.maxOutputChars;
    this.timeMs = limits.timeMs;
    // Private in the library's types, plain methods at run time: instance properties shadow them.
    const self = this as unknown as { evaluateBlock: EvaluateBlock; applyFilter: ApplyFilter };
    const filter = (Interpreter.prototype as unknown as { applyFilter: ApplyFilter }).applyFilter;
    self.evaluateBlock = (statements, env) => this.limitedBlock(statements, env);
    self.applyFilter = (operand, node, env) => this.limitedFilter(filter, operand, node, env);
  }

  private readonly timeMs: number;

  override evaluate(statement: Parameters<Interpreter['evaluate']>[0], environment: Environment): ReturnType<Interpreter['evaluate']> {
    return this.evaluateNode(statement as Node | undefined, environment) as unknown as ReturnType<Interpreter['evaluate']>;
  }

  private evaluateNode(statement: Node | undefined, environment: Environment): RuntimeValue {
    if (statement?.type === EVALUATED) return statement.value as RuntimeValue;
    if (performance.now() > this.deadline) {
      throw new LimitExceeded('time', `rendering took longer than ${this.timeMs / 1000} s (a loop that does not end?)`);
    }
    if (this.depth >= MAX_TEMPLATE_DEPTH) {
      throw new LimitExceeded('depth', `it nests deeper than ${MAX_TEMPLATE_DEPTH} levels (a macro that calls itself?)`);
    }
    this.depth++;
    try {
      let node = statement;
      if (node?.type === 'For') this.loops.push({ body: node.body, chars: 0 });
      else if (node?.type === 'BinaryExpression') node = this.guardBinary(node, environment);
      else if (node?.type === 'CallExpression') node = this.guardMethodCall(node, environment);
      const evaluate = Interpreter.prototype.evaluate as unknown as Evaluate;
      try {
        const v = evaluate.call(this, node, environment);
        this.check(v);
        return v;
      } finally {
        if (statement?.type === 'For') this.loops.pop();
      }
    } finally {
      this.depth--;
    }
  }

  /** Deep size of a value in characters (strings by length, lists and mappings by their contents). */
  private sizeOf(v: RuntimeValue, seen: Set<object> = new Set()): number {
    if (v.type === 'StringValue') return (v.value as string).length;
    if (!isList(v) && !isMapping(v)) return 8;
    const memo = v.type === 'NamespaceValue' ? undefined : this.sizes.get(v);
    if (memo !== undefined) return memo;
    if (seen.has(v)) return 0; // a namespace holding itself; printing it fails on its own
    seen.add(v);
    let n = 2;
    if (isList(v)) {
      const items = v.value as RuntimeValue[];
      if (items.length > MAX_TEMPLATE_ITEMS) throw new LimitExceeded('items', `it built a list of ${items.length} items (limit ${MAX_TEMPLATE_ITEMS})`);
      for (const x of items) {
        n += this.sizeOf(x, seen) + 2;
        if (n > this.maxChars) break;
      }
    } else {
      const map = v.value as Map<string, RuntimeValue>;
      if (map.size > MAX_TEMPLATE_ITEMS) throw new LimitExceeded('items', `it built a mapping of ${map.size} entries (limit ${MAX_TEMPLATE_ITEMS})`);
      for (const [k, x] of map) {
        n += k.length + this.sizeOf(x, seen) + 4;
        if (n > this.maxChars) break;
      }
    }
    seen.delete(v);
    if (v.type !== 'NamespaceValue') this.sizes.set(v, n);
    return n;
  }

  private tooBig(what: string, n: number): never {
    throw new LimitExceeded('output', `it would produce ${what} of ${n} characters (limit ${this.maxChars})`);
  }

  private check(v: RuntimeValue): void {
    const n = this.sizeOf(v);
    if (n > this.maxChars) this.tooBig(v.type === 'StringValue' ? 'a string' : isList(v) ? 'a list (measured as text)' : 'a mapping (measured as text)', n);
  }

  private limitedBlock(statements: Node[], env: Environment): RuntimeValue {
    // The library's evaluateBlock, with the running output checked after every statement.
    let result = '';
    for (const statement of statements) {
      const v = this.evaluateNode(statement, env);
      if (v.type !== 'NullValue' && v.type !== 'UndefinedValue') {
        result += String(v);
        if (result.length > this.maxChars) this.tooBig('output', result.length);
      }
    }
    const loop = this.loops[this.loops.length - 1];
    if (loop !== undefined && loop.body === statements) {
      // A for-loop concatenates its body's renderings itself: count them here.
      loop.chars += result.length;
      if (loop.chars > this.maxChars) this.tooBig('loop output', loop.chars);
    }
    return this.stringValue(result, env);
  }

  /** A StringValue built the library's way: evaluating a string literal pseudo-node. */
  private stringValue(s: string, env: Environment): RuntimeValue {
    const evaluate = Interpreter.prototype.evaluate as unknown as Evaluate;
    return evaluate.call(this, { type: 'StringLiteral', value: s }, env);
  }

  /** Evaluates call arguments once and returns them as pre-evaluated nodes, keyword structure kept. */
  private preEvaluateArgs(args: Node[], env: Environment): { nodes: Node[]; positional: RuntimeValue[]; keywords: Map<string, RuntimeValue> } {
    const positional: RuntimeValue[] = [];
    const keywords = new Map<string, RuntimeValue>();
    const nodes = args.map((a): Node => {
      if (a.type === 'KeywordArgumentExpression') {
        const v = this.evaluateNode(a.value as Node, env);
        keywords.set((a.key as { value: string }).value, v);
        return { ...a, value: { type: EVALUATED, value: v } };
      }
      if (a.type === 'SpreadExpression' || a.type === 'KeywordSpreadExpression') {
        return { ...a, argument: { type: EVALUATED, value: this.evaluateNode(a.argument as Node, env) } };
      }
      const v = this.evaluateNode(a, env);
      positional.push(v);
      return { type: EVALUATED, value: v };
    });
    return { nodes, positional, keywords };
  }

  /** String or list repetition (`'ab' * n`), and concatenation: refuse results over the limit before building them. */
  private guardBinary(node: Node, env: Environment): Node {
    const op = (node.operator as { value: string }).value;
    if (op !== '*' && op !== '+' && op !== '~') return node;
    const left = this.evaluateNode(node.left as Node, env);
    const right = this.evaluateNode(node.right as Node, env);
    const len = (v: RuntimeValue) => (v.type === 'StringValue' ? (v.value as string).length : isList(v) ? (v.value as unknown[]).length : 0);
    if (op === '*') {
      const count = right.type === 'IntegerValue' ? (right.value as number) : left.type === 'IntegerValue' ? (left.value as number) : 0;
      const base = right.type === 'IntegerValue' ? left : right;
      const n = len(base) * Math.max(0, count);
      if (n > this.maxChars) this.tooBig('a repetition', n);
    } else {
      const n = this.sizeOf(left) + this.sizeOf(right);
      if (n > this.maxChars) this.tooBig('a concatenation', n);
    }
    return { ...node, left: { type: EVALUATED, value: left }, right: { type: EVALUATED, value: right } };
  }

  /** `s.replace(old, new)` and `s.split(sep)`: predict the size before the library builds it. */
  private guardMethodCall(node: Node, env: Environment): Node {
    const callee = node.callee as Node;
    if (callee.type !== 'MemberExpression' || callee.computed) return node;
    const method = (callee.property as { value?: unknown }).value;
    if (method !== 'replace' && method !== 'split') return node;
    const object = this.evaluateNode(callee.object as Node, env);
    const { nodes, positional, keywords } = this.preEvaluateArgs(node.args as Node[], env);
    if (object.type === 'StringValue') {
      const s = object.value as string;
      if (method === 'replace') this.guardReplace(s, positional, keywords);
      else {
        const sep = positional[0] ?? keywords.get('sep');
        const n = sep?.type === 'StringValue' ? countOccurrences(s, sep.value as string, MAX_TEMPLATE_ITEMS + 1) + 1 : 0;
        if (n > MAX_TEMPLATE_ITEMS) throw new LimitExceeded('items', `split() would build more than ${MAX_TEMPLATE_ITEMS} items`);
      }
    }
    return { ...node, callee: { ...callee, object: { type: EVALUATED, value: object } }, args: nodes };
  }

  private guardReplace(s: string, positional: RuntimeValue[], keywords: Map<string, RuntimeValue>): void {
    const [from, to] = positional;
    if (from?.type !== 'StringValue' || to?.type !== 'StringValue') return; // the library reports the type error
    const grow = (to.value as string).length - (from.value as string).length;
    if (grow <= 0) return;
    const countArg = positional[2] ?? keywords.get('count');
    const cap = countArg?.type === 'IntegerValue' && (countArg.value as number) >= 0 ? (countArg.value as number) : Infinity;
    const room = Math.floor((this.maxChars - s.length) / grow) + 1;
    const n = countOccurrences(s, from.value as string, Math.min(cap, room));
    const size = s.length + n * grow;
    if (size > this.maxChars) this.tooBig('a replace() result', size);
  }

  private limitedFilter(filter: ApplyFilter, operand: RuntimeValue, node: Node, env: Environment): RuntimeValue {
    const name = node.type === 'CallExpression' ? (node.callee as { value?: unknown }).value : undefined;
    if (name !== 'join' && name !== 'indent' && name !== 'tojson' && name !== 'replace') return filter.call(this, operand, node, env);
    const { nodes, positional, keywords } = this.preEvaluateArgs(node.args as Node[], env);
    const count = (v: RuntimeValue) => (v.type === 'StringValue' ? [...(v.value as string)].length : isList(v) ? (v.value as unknown[]).length : 0);
    if (name === 'join') {
      const sep = positional[0] ?? keywords.get('separator');
      const sepLen = sep?.type === 'StringValue' ? (sep.value as string).length : 0;
      const n = this.sizeOf(operand) + count(operand) * sepLen;
      if (n > this.maxChars) this.tooBig('a join', n);
    } else if (name === 'indent' && operand.type === 'StringValue') {
      const width = positional[0] ?? keywords.get('width');
      const w = width?.type === 'IntegerValue' ? (width.value as number) : width?.type === 'StringValue' ? (width.value as string).length : 4;
      const lines = countOccurrences(operand.value as string, '\n', Number.MAX_SAFE_INTEGER) + 1;
      const n = (operand.value as string).length + lines * Math.max(0, w);
      if (n > this.maxChars) this.tooBig('an indent', n);
    } else if (name === 'tojson') {
      const indent = keywords.get('indent');
      const w = indent?.type === 'IntegerValue' ? (indent.value as number) : 0;
      if (w > 0) {
        const { items, depth } = this.shape(operand);
        const n = this.sizeOf(operand) + items * (depth * w + 1);
        if (n > this.maxChars) this.tooBig('tojson output', n);
      }
    } else if (name === 'replace' && operand.type === 'StringValue') {
      this.guardReplace(operand.value as string, positional, keywords);
    }
    return filter.call(this, operand, { ...node, args: nodes }, env);
  }

  /** Number of values in a list or mapping (recursively) and its nesting depth, for tojson's indentation. */
  private shape(v: RuntimeValue, depth = 1, seen: Set<object> = new Set()): { items: number; depth: number } {
    if ((!isList(v) && !isMapping(v)) || seen.has(v)) return { items: 1, depth };
    if (depth > MAX_TEMPLATE_DEPTH) throw new LimitExceeded('depth', `a value nests deeper than ${MAX_TEMPLATE_DEPTH} levels`);
    seen.add(v);
    const children: RuntimeValue[] = isList(v) ? (v.value as RuntimeValue[]) : [...(v.value as Map<string, RuntimeValue>).values()];
    let items = 1;
    let deepest = depth;
    for (const c of children) {
      const s = this.shape(c, depth + 1, seen);
      items += s.items;
      deepest = Math.max(deepest, s.depth);
      if (items > this.maxChars) break;
    }
    seen.delete(v);
    return { items, depth: deepest };
  }
}

/** Python's range() for templates, refusing lists longer than MAX_TEMPLATE_ITEMS before building them. */
export function limitedRange(start: unknown, stop?: unknown, step: unknown = 1): number[] {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  for (const [name, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`range() ${name} must be an integer (got ${String(v)})`);
  }
  const [a, b, s] = [start as number, stop as number, step as number];
  if (s === 0) throw new Error('range() step must not be zero');
  const n = s > 0 ? Math.max(0, Math.ceil((b - a) / s)) : Math.max(0, Math.ceil((a - b) / -s));
  if (n > MAX_TEMPLATE_ITEMS) throw new LimitExceeded('items', `range() of ${n} numbers is over the limit of ${MAX_TEMPLATE_ITEMS}`);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a + i * s;
  return out;
}
