import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeFileSource } from '../../../extension/core/workspace';
import { QueryBm25, buildOutline, chunkText, fenceFor, gatherRepository, queryTerms, renderFile } from '../../../extension/core/context';

// Deterministic stand-in for a model tokenizer: one token per 4 characters (rounded up).
const countTokens = (s: string): number => Math.ceil(s.length / 4);

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-ctx-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return root;
}

function filler(name: string, lines: number): string {
  let s = '';
  for (let i = 0; i < lines; i++) s += `export const ${name}Value${i} = computeSomething(${i}, 'unrelated text about widgets');\n`;
  return s;
}

describe('extension/core/context: terms, bm25, chunking, rendering', () => {
  it('splits identifiers so questions match camelCase and snake_case code', () => {
    assert.deepEqual(queryTerms('How does parseHeader handle the GGUF_magic?'), ['parse', 'header', 'parseheader', 'handle', 'gguf', 'magic', 'ggufmagic']);
  });

  it('BM25 ranks the chunk with more (and rarer) query terms first', () => {
    const bm = new QueryBm25(['tokenizer', 'merge']);
    const a = bm.add('function tokenizer() { merge(); merge(); }');
    const b = bm.add('function other() { tokenizer(); }');
    const c = bm.add('nothing relevant here at all');
    const s = bm.scoreAll();
    assert.ok(s[a]! > s[b]! && s[b]! > s[c]!);
    assert.equal(s[c], 0);
  });

  it('chunks cover every line exactly once and prefer blank-line cuts', () => {
    const text = Array.from({ length: 250 }, (_, i) => (i % 25 === 24 ? '' : `line ${i}`)).join('\n') + '\n';
    const cs = chunkText('a.ts', text, { maxLines: 60 });
    assert.equal(cs[0]!.startLine, 1);
    for (let i = 1; i < cs.length; i++) assert.equal(cs[i]!.startLine, cs[i - 1]!.endLine + 1);
    assert.equal(cs[cs.length - 1]!.endLine, 250);
    assert.equal(cs.map((c) => c.text).join('\n'), text.slice(0, -1));
    assert.equal(cs[0]!.endLine, 50); // cut after the blank line 50, not at 60
  });

  it('fences are longer than any backtick run inside the file and carry a language tag', () => {
    assert.equal(fenceFor('no ticks'), '```');
    assert.equal(fenceFor('a ```` b'), '`````');
    const block = renderFile('docs/x.md', [{ startLine: 1, endLine: 1, text: '```js\nevil\n```' }], 1, true);
    assert.match(block, /^### docs\/x\.md\n````markdown\n```js\nevil\n```\n````\n/);
  });

  it('outline stays within its line budget and collapses big folders', () => {
    const paths = [...Array.from({ length: 500 }, (_, i) => `big/f${String(i).padStart(3, '0')}.ts`), 'README.md', 'src/a.ts'];
    const out = buildOutline(paths, 20).split('\n');
    assert.ok(out.length <= 21);
    assert.ok(out.includes('big/ (500 files)'));
    assert.ok(out.includes('README.md'));
    assert.ok(out.includes('  a.ts'));
  });
});

describe('extension/core/context: gatherRepository', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));
  const mk = (files: Record<string, string>): string => {
    const r = repo(files);
    roots.push(r);
    return r;
  };

  it('puts the whole repository in, in path order, identical for any question, when it fits', async () => {
    const root = mk({ 'src/b.ts': 'export const b = 2;\n', 'src/a.ts': 'export const a = 1;\n', 'README.md': '# Demo\n', 'img.png': new Uint8Array([137, 80, 78, 71, 0, 0]) as unknown as string });
    const src = new NodeFileSource(root);
    const r1 = await gatherRepository(src, { question: 'what is a?', budgetTokens: 2000, countTokens });
    const r2 = await gatherRepository(src, { question: 'something else entirely', budgetTokens: 2000, countTokens, editor: { activeFile: 'src/b.ts' } });
    assert.equal(r1.mode, 'whole');
    assert.deepEqual(r1.files.map((f) => f.relPath), ['README.md', 'src/a.ts', 'src/b.ts']);
    assert.equal(r1.text, r2.text, 'the repository block must be a stable prefix');
    assert.ok(r1.text.indexOf('### README.md') < r1.text.indexOf('### src/a.ts'));
    assert.match(r1.text, /```typescript\nexport const a = 1;\n```/);
    assert.match(r1.text, /File tree:\nsrc\/\n  a\.ts\n  b\.ts\nREADME\.md\nimg\.png\n/);
    assert.equal(r1.tokens, countTokens(r1.text));
    assert.equal(r1.skipped.byReason.binary?.count, 1);
  });

  it('ranks by relevance when the repository does not fit, stays within budget and reports what was left out', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`src/mod${i}/widget${i}.ts`] = filler(`w${i}`, 80);
    files['src/mod7/widget7.ts'] = filler('w7', 40) + 'export function parseGgufHeader(buf: Uint8Array) {\n  // reads the GGUF magic and version\n  return readMagic(buf);\n}\n' + filler('w7b', 40);
    files['lib/tokenizer/merges.ts'] = 'export function applyMerges() { /* bpe */ }\n';
    const src = new NodeFileSource(mk(files));
    const budget = 3000;
    const r = await gatherRepository(src, { question: 'How is the GGUF header parsed?', budgetTokens: budget, countTokens });
    assert.equal(r.mode, 'ranked');
    assert.ok(r.tokens <= budget, `${r.tokens} > ${budget}`);
    assert.equal(r.tokens, countTokens(r.text));
    const inc = r.files.find((f) => f.relPath === 'src/mod7/widget7.ts');
    assert.ok(inc, 'the file with the answer must be included');
    assert.match(r.text, /parseGgufHeader/);
    assert.match(r.text, /### src\/mod7\/widget7\.ts \(lines \d+-\d+/);
    assert.ok(r.leftOut.count > 0 && r.leftOut.count === r.filesListed - r.files.length);
    assert.ok(r.leftOut.examples.length > 0);
    assert.deepEqual(r.files.map((f) => f.relPath), [...r.files.map((f) => f.relPath)].sort());
    // Path matches count too: a question naming the tokenizer merges finds that file by its path.
    const r2 = await gatherRepository(src, { question: 'tokenizer merges?', budgetTokens: budget, countTokens });
    assert.ok(r2.files.some((f) => f.relPath === 'lib/tokenizer/merges.ts'));
    // The active editor and selection are boosted even when the question says nothing about them.
    const r3 = await gatherRepository(src, {
      question: 'what does this do', budgetTokens: 1200, countTokens,
      editor: { activeFile: 'src/mod21/widget21.ts', selection: { relPath: 'src/mod21/widget21.ts', startLine: 70, endLine: 75 } },
    });
    const w21 = r3.files.find((f) => f.relPath === 'src/mod21/widget21.ts');
    assert.ok(w21 && w21.ranges.some((x) => x.startLine <= 70 && x.endLine >= 75));
  });

  it('never exceeds a budget too small for anything', async () => {
    const src = new NodeFileSource(mk({ 'a.ts': 'export const a = 1;\n', 'b.ts': 'export const b = 2;\n' }));
    for (const budget of [0, 5, 20]) {
      const r = await gatherRepository(src, { question: 'a', budgetTokens: budget, countTokens });
      assert.ok(r.tokens <= budget, `${r.tokens} > ${budget}`);
      assert.equal(r.files.length, 0);
      assert.equal(r.leftOut.count, 2);
    }
  });

  it('bounds reading by maxIndexFiles and reports the rest as not indexed', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`pkg/f${i}.ts`] = filler(`f${i}`, 30);
    files['pkg/special/scheduler.ts'] = 'export class Scheduler { run() {} }\n';
    const src = new NodeFileSource(mk(files));
    let reads = 0;
    const counting = { ...src, rootLabel: src.rootLabel, skipped: src.skipped, list: src.list.bind(src), read: (p: string) => (reads++, src.read(p)) };
    const r = await gatherRepository(counting, { question: 'scheduler', budgetTokens: 1500, countTokens, maxIndexFiles: 10 });
    assert.equal(reads, 10);
    assert.equal(r.notIndexed, 51);
    assert.ok(r.files.some((f) => f.relPath === 'pkg/special/scheduler.ts'), 'path relevance picks what to read');
  });

  it('is cancellable while reading and reports progress by phase', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`f${i}.ts`] = filler(`x${i}`, 5);
    const src = new NodeFileSource(mk(files));
    const ac = new AbortController();
    const phases = new Set<string>();
    await assert.rejects(
      gatherRepository(src, {
        question: 'x', budgetTokens: 100000, countTokens, signal: ac.signal,
        onProgress: (p) => {
          phases.add(p.phase);
          if (p.phase === 'reading' && p.done >= 50) ac.abort();
        },
      }),
      (e: Error) => e.name === 'AbortError',
    );
    assert.ok(phases.has('listing') && phases.has('reading'));
  });

  it('stops reading within 200 ms of an abort even when each read is slow', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`f${i}.ts`] = 'x';
    const src = new NodeFileSource(mk(files));
    const slow = { rootLabel: src.rootLabel, skipped: src.skipped, list: src.list.bind(src), read: async (p: string, o?: { signal?: AbortSignal }) => (await new Promise((r) => setTimeout(r, 20)), src.read(p, o)) };
    const ac = new AbortController();
    let abortedAt = 0;
    const err = await gatherRepository(slow, {
      question: 'x', budgetTokens: 100000, countTokens, signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'reading' && p.done >= 1 && !abortedAt) setTimeout(() => ((abortedAt = Date.now()), ac.abort()), 30);
      },
    }).catch((e: Error) => e);
    assert.ok(err instanceof Error && err.name === 'AbortError');
    assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
  });
});
