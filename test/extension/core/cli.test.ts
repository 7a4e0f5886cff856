// `selfextend ask` / `summarize` end to end on the real engine with the passkey model: the --json
// shape the issue specifies, the files used, and the cache reuse of a follow-up.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ask } from '../../../cli/commands/ask';
import { summarize } from '../../../cli/commands/summarize';

const MODEL = path.join(process.cwd(), 'assets', 'models', 'passkey-char-128.gguf');

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

describe('cli: selfextend ask / summarize --json (passkey model)', function () {
  this.timeout(300_000);
  let repo = '';
  before(function () {
    if (!fs.existsSync(MODEL)) {
      console.log(`      skipped: ${MODEL} is absent`);
      this.skip();
    }
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'se-cli-'));
    fs.writeFileSync(path.join(repo, 'key.txt'), 'The pass key is 12345. Remember it.\n');
    fs.writeFileSync(path.join(repo, 'package-lock.json'), '{}');
  });
  after(() => repo && fs.rmSync(repo, { recursive: true, force: true }));

  it('ask prints one JSON object per answer with the specified fields; the follow-up is served from the cache', async () => {
    const r = await capture(() => ask.run(['--model', MODEL, '--repo', repo, '--group', '8', '--window', '32', '-n', '3', '--json', 'What is the pass key?', '--follow-up', 'Again?']));
    assert.equal(r.code, 0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    for (const j of lines) {
      for (const k of ['answer', 'files', 'group', 'window', 'prompt_tokens', 'ttft_ms', 'decode_tps']) assert.ok(k in j, `missing ${k}`);
      assert.deepEqual(j.files, ['key.txt']);
      assert.equal(j.group, 8);
      assert.equal(j.window, 32);
      assert.equal(typeof j.answer, 'string');
    }
    assert.ok((lines[1]!.cached_tokens as number) >= (lines[0]!.prompt_tokens as number) - 1);
    assert.match(r.err, /reading repository/);
  });

  it('summarize --json reports the file and the window; --plain with --group is rejected', async () => {
    const file = path.join(repo, 'key.txt');
    const r = await capture(() => summarize.run(['--model', MODEL, '--group', '4', '--window', '32', '-n', '2', '--json', file]));
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual([j.files, j.group, j.window, j.levels], [[file], 4, 32, 0]);
    await assert.rejects(capture(() => ask.run(['--model', MODEL, '--plain', '--group', '2', 'q'])), /--plain cannot be combined/);
  });
});
