// Streaming render benchmark for the chat webview (issue 13 finding 9), before/after in one run:
// "full" re-renders the whole answer per frame (the old path), "incremental" is StreamingMarkdown.
// Headless Chromium through test/browser/harness.ts. Prints a table and, with --json, JSON.
//   npx tsx scripts/bench-stream-render.ts [--json] [--skip-full-over KB]   (skips the slow old path above KB)
import * as esbuild from 'esbuild';
import { join } from 'node:path';
import { launch, openWebview, startServer } from '../test/browser/harness';

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const skipAt = Number(args[args.indexOf('--skip-full-over') + 1] ?? 'NaN');

function codeBlock(bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const l = `  const value${i} = compute(${i}, "item-${i}") + offset; // line ${i}`;
    lines.push(l);
    n += l.length + 1;
  }
  return '```ts\n' + lines.join('\n') + '\n```\n';
}

function prose(bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const p = i % 5 === 4 ? codeBlock(600) : `Paragraph ${i}: the **restock rule** lives in \`Inventory.needs_restock\`; see [docs](https://example.com/${i}) and item ${i}.\n\n- point a\n- point b\n\n`;
    parts.push(p);
    n += p.length;
  }
  return parts.join('');
}

function split(text: string, pieces: number): string[] {
  const size = Math.ceil(text.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const CASES = [
  { name: '50 KB code block, 500 pieces', text: codeBlock(50_000), pieces: 500 },
  { name: '200 KB code block, 2,000 pieces', text: codeBlock(200_000), pieces: 2000 },
  { name: '100 KB prose + code, 1,000 pieces', text: prose(100_000), pieces: 1000 },
  { name: '1 MB code block, 1 piece', text: codeBlock(1_000_000), pieces: 1 },
];

async function main(): Promise<void> {
  const r = await esbuild.build({ absWorkingDir: root, entryPoints: ['test/browser/stream-render-entry.ts'], bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2022', loader: { '.wgsl': 'text' }, logLevel: 'silent' });
  const server = await startServer(r.outputFiles[0]!.text);
  const browser = await launch();
  const rows: { case: string; bytes: number; pieces: number; fullMs: number | null; incrementalMs: number; speedup: number | null }[] = [];
  try {
    const w = await openWebview(browser, server);
    for (const c of CASES) {
      const pieces = split(c.text, c.pieces);
      const bench = (incremental: boolean) => w.page.evaluate(([p, inc]) => (window as unknown as { __bench(p: string[], i: boolean): { ms: number } }).__bench(p, inc), [pieces, incremental] as const);
      const inc = await bench(true);
      const full = c.text.length / 1000 > skipAt && c.pieces > 1 ? null : await bench(false);
      rows.push({ case: c.name, bytes: c.text.length, pieces: pieces.length, fullMs: full ? Math.round(full.ms) : null, incrementalMs: Math.round(inc.ms), speedup: full ? Number((full.ms / inc.ms).toFixed(1)) : null });
    }
    await w.close();
  } finally {
    await browser.close();
    await server.close();
  }
  if (json) console.log(JSON.stringify({ bench: 'webview-stream-render', rows }, null, 2));
  console.log('| case | bytes | pieces | full re-render per frame (before) | incremental (after) | speed-up |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const x of rows) console.log(`| ${x.case} | ${x.bytes} | ${x.pieces} | ${x.fullMs === null ? 'skipped' : `${(x.fullMs / 1000).toFixed(2)} s`} | ${(x.incrementalMs / 1000).toFixed(2)} s | ${x.speedup === null ? '–' : `×${x.speedup}`} |`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
