// Tokenizer throughput on 1 MB of real source code (not a test: `npx tsx test/tokenizer/bench.ts`).
// Prints a table and, with --json, one JSON object per vocabulary. The input is 1 MB of
// TypeScript's own compiler source from node_modules, so every word is as varied as a real repo.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../../gpu/tokenizer';
import { llama3Tokenizer, qwenTokenizer, tokenizerFromGGUF, VOCAB_DIR } from './helpers';

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const srcFile = path.resolve(__dirname, '../../node_modules/typescript/lib/typescript.js');
  const src = fs.readFileSync(srcFile, 'utf8').slice(3_000_000, 4_000_000);
  const vocabs: Array<[string, () => Promise<Tokenizer>]> = [];
  for (const name of ['llama-spm', 'phi-3', 'gpt-2', 'deepseek-coder', 'starcoder']) {
    const file = path.join(VOCAB_DIR, `ggml-vocab-${name}.gguf`);
    if (fs.existsSync(file)) vocabs.push([name, async () => (await tokenizerFromGGUF(file)).tok]);
  }
  vocabs.push(['llama-bpe (llama3 json)', async () => llama3Tokenizer()], ['qwen2 (qwen3 json)', async () => qwenTokenizer()]);
  for (const [name, make] of vocabs) {
    const tok = await make();
    // CPU time as well as wall time: on a shared machine the wall clock also counts other processes.
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    const ids = tok.encode(src);
    const cold = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    const coldCpu = (cpu.user + cpu.system) / 1000;
    t = performance.now();
    tok.encode(src);
    const warm = performance.now() - t;
    t = performance.now();
    const text = tok.decode(ids, { skipSpecial: true });
    const decode = performance.now() - t;
    const row = { vocab: name, bytes: Buffer.byteLength(src), tokens: ids.length, encode_ms: Math.round(cold), encode_cpu_ms: Math.round(coldCpu), encode_cached_ms: Math.round(warm), decode_ms: Math.round(decode), roundtrip: text === src };
    process.stdout.write(json ? JSON.stringify(row) + '\n' : `${name.padEnd(24)} ${String(row.tokens).padStart(7)} tokens  encode ${String(row.encode_ms).padStart(5)} ms wall, ${String(row.encode_cpu_ms).padStart(5)} ms CPU (cached ${row.encode_cached_ms} ms)  decode ${row.decode_ms} ms  round trip ${row.roundtrip}\n`);
  }
}

void main();
