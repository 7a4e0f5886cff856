// Special-token splitting before/after (issue 13 finding 6), not a test:
// `npx tsx test/tokenizer/bench-special.ts [--json]`. 60,000 USER_DEFINED tokens and 280 KB of text
// in which they occur, split by the old per-token loop (test/tokenizer/special-reference.ts) and by
// the one-scan automaton (gpu/tokenizer/special.ts), in one run; also Qwen3's real 26 special tokens.
import { TokenType } from '../../gpu/tokenizer/data';
import { partition, type Fragment } from '../../gpu/tokenizer/special';
import { Vocab } from '../../gpu/tokenizer/vocab';
import { referencePartition } from './special-reference';

type Split = (v: Vocab, t: string, p: boolean, out: Fragment[]) => void;

function time(f: Split, v: Vocab, text: string): { ms: number; cpuMs: number; fragments: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out: Fragment[] = [];
  f(v, text, false, out);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), fragments: out.length };
}

function main(): void {
  const json = process.argv.includes('--json');
  // --kb N: text size (default 280, the attack's size; the old split is quadratic, so smaller N for a quick run).
  const kbAt = process.argv.indexOf('--kb');
  const kb = kbAt > 0 ? Number(process.argv[kbAt + 1]) : 280;
  const rows: Record<string, unknown>[] = [];
  for (const [label, n, matching] of [
    [`60k user-defined tokens, ${kb} KB text, tokens occur`, 60_000, true],
    [`60k user-defined tokens, ${kb} KB text, none occur`, 60_000, false],
  ] as const) {
    const tokens = ['a'];
    const types: number[] = [TokenType.NORMAL];
    for (let i = 0; i < n; i++) {
      tokens.push(`<u${i}>`);
      types.push(TokenType.USER_DEFINED);
    }
    const v = new Vocab({ model: 'gpt2', tokens, tokenTypes: types, merges: [], bosId: null, eosId: null, addBos: false });
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < kb * 1000; i++) {
      const p = matching ? `<u${(i * 7919) % n}> w ` : `u${i % n} w `;
      parts.push(p);
      size += p.length;
    }
    const text = parts.join('');
    const setup0 = performance.now();
    partition(v, 'warm', false, []); // builds the automaton once per vocabulary
    const setupMs = Math.round(performance.now() - setup0);
    const before = time(referencePartition, v, text);
    const after = time(partition, v, text);
    if (before.fragments !== after.fragments) throw new Error(`fragment counts differ: ${before.fragments} vs ${after.fragments}`);
    rows.push({ case: label, chars: text.length, fragments: after.fragments, before_ms: before.ms, before_cpu_ms: before.cpuMs, after_ms: after.ms, after_cpu_ms: after.cpuMs, automaton_build_ms: setupMs });
  }
  for (const r of rows) {
    process.stdout.write(
      json
        ? JSON.stringify(r) + '\n'
        : `${String(r.case).padEnd(52)} ${r.fragments} fragments  before ${r.before_ms} ms (${r.before_cpu_ms} ms CPU)  after ${r.after_ms} ms (${r.after_cpu_ms} ms CPU)  automaton ${r.automaton_build_ms} ms once\n`,
    );
  }
}

main();
