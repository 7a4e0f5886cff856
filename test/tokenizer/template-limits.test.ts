// Issue 10 point 4: a chat template from a model file gets a time limit and an output-size limit.
// The hostile templates the attack found (two nested range(100000) loops, range(10000000000),
// range(50000000)|join) hang, abort Node with a V8 fatal error (exit 133, even inside a worker
// thread) or run out of memory on the unguarded interpreter; each must now be a ChatTemplateError
// that names the template, in-thread, with the process alive.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTemplateError, encodeChatPrompt, renderChat, renderChatParts } from '../../gpu/tokenizer/chat-template';
import { MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_ITEMS, outputLimitFor } from '../../gpu/tokenizer/template-limits';
import { encodePrompt } from '../../extension/core/chat/prompt';
import { FakeModel } from '../extension/core/fake-model';
import type { ChatMessage } from '../../gpu/tokenizer';
import { qwenTokenizer } from './helpers';

const HI: ChatMessage[] = [{ role: 'user', content: 'hi' }];

/** Renders and returns the ChatTemplateError it must throw. */
function refused(source: string, opts: Parameters<typeof renderChat>[2] = {}): ChatTemplateError {
  try {
    renderChat(source, HI, opts);
  } catch (e) {
    assert.ok(e instanceof ChatTemplateError, `expected a ChatTemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail('the template rendered although it should have been refused');
}

describe('chat template limits (issue 10 point 4)', function () {
  this.timeout(60_000);

  it("the attack's three templates end as clear errors in a separate process that stays alive (no hang, no exit 133, no OOM)", function () {
    // A separate process, because on the unguarded interpreter these kill (or hang) whatever runs them.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tmpl-limits-'));
    const script = path.join(dir, 'run.ts');
    const module = path.resolve(__dirname, '../../gpu/tokenizer/chat-template.ts');
    fs.writeFileSync(
      script,
      `import { renderChat } from ${JSON.stringify(module)};
const cases = [
  '{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}',
  '{{ range(10000000000) | length }}',
  '{{ range(50000000) | join }}',
];
for (const c of cases) {
  try { renderChat(c, [{ role: 'user', content: 'hi' }]); console.log('RENDERED'); }
  catch (e) { console.log((e as Error).name + ': ' + (e as Error).message.split('\\n')[0]); }
}
console.log('ALIVE');
`,
    );
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=512', script], { encoding: 'utf8', timeout: 45_000 });
      assert.equal(r.signal, null, `the renderer process was killed (${r.signal}): a hang`);
      assert.equal(r.status, 0, `the renderer process exited with ${r.status}: ${r.stderr.slice(-400)}`);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 4, r.stdout);
      for (const l of lines.slice(0, 3)) assert.match(l, /^ChatTemplateError: the model's chat template \(tokenizer\.chat_template\) was stopped: .*use another model/);
      assert.equal(lines[3], 'ALIVE');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a loop that produces nothing is stopped by the time limit, and the error names the template and says what to do', function () {
    const t0 = performance.now();
    const e = refused('{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}', {
      limits: { timeMs: 300 },
      templateName: "Evil-1B's chat template (tokenizer.chat_template)",
    });
    const ms = performance.now() - t0;
    assert.equal(e.limit, 'time');
    assert.match(e.message, /^Evil-1B's chat template \(tokenizer\.chat_template\) was stopped: rendering took longer than 0\.3 s/);
    assert.match(e.message, /use another model, or a GGUF re-converted with a correct tokenizer\.chat_template/);
    assert.ok(ms < 5000, `stopped after ${ms.toFixed(0)} ms (liveness bound 5 s)`);
  });

  it('ranges, repetitions, joins, replaces, indents, tojson and growing strings are refused before they are built', function () {
    const cases: [string, string][] = [
      [`{{ range(${MAX_TEMPLATE_ITEMS + 1}) | length }}`, 'items'],
      ["{{ 'abc' * 100000000 }}", 'output'],
      ["{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", 'output'],
      ["{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}", 'output'],
      ["{% set s = range(20000)|join %}{{ s.replace('', s) }}", 'output'],
      ["{% set s = range(20000)|join %}{{ s|replace('0', s) }}", 'output'],
      ['{% set s = range(9999)|join(",") %}{{ [s, s, s, s, s, s, s, s, s, s] | join(s) }}', 'output'],
      ["{{ 'a\\nb\\nc' | indent(1000000000) }}", 'output'],
      ['{{ messages | tojson(indent=100000000) }}', 'output'],
      ["{% set ns = namespace(a=['xxxxxxxxxx']) %}{% for i in range(60) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}", 'output'],
      ['{% set s = range(9999)|join %}{% for i in range(100000) %}{{ s }}{% endfor %}', 'output'],
      ["{% set s = range(50000)|join(',') %}{{ s.split(',') | length }}", 'output'],
    ];
    for (const [source, limit] of cases) {
      const e = refused(source, { limits: { maxOutputChars: 65_536 } });
      assert.equal(e.limit, limit, `${source}: ${e.message}`);
    }
  });

  it('a macro calling itself is stopped at the nesting limit, not by a stack overflow', function () {
    const e = refused('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}');
    assert.equal(e.limit, 'depth');
    assert.match(e.message, new RegExp(`deeper than ${MAX_TEMPLATE_DEPTH} levels`));
  });

  it("attribute chains to JavaScript internals reach nothing (constructor, __proto__, prototype)", function () {
    for (const source of [
      "{{ ''.constructor.constructor('return process')() }}",
      "{{ messages.__proto__.constructor }}",
      "{{ range.prototype }}{{ messages[0]['constructor']['constructor'] }}",
    ]) {
      let out: string | undefined;
      try {
        out = renderChat(source, HI);
      } catch (e) {
        assert.ok(e instanceof ChatTemplateError, String(e));
        continue;
      }
      assert.doesNotMatch(out, /function|process|native code/i, source);
    }
  });

  it('the limit is 4× the context window in characters, and never cuts a prompt made of long messages', function () {
    assert.equal(outputLimitFor(32_768, 10), 131_072);
    assert.equal(outputLimitFor(1024, 10), 65_536);
    const long = 'x'.repeat(300_000); // a SelfExtend prompt can exceed the trained window
    const out = renderChat('{% for m in messages %}{{ m.content }}{% endfor %}', [{ role: 'user', content: long }], { contextTokens: 2048 });
    assert.equal(out.length, long.length);
  });

  it('renderChatParts shares one deadline across its two renderings and does not retry after a limit', function () {
    const t0 = performance.now();
    assert.throws(
      () =>
        renderChatParts('{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}', [{ role: 'system', content: 's' }, ...HI], {
          limits: { timeMs: 300 },
        }),
      (e: unknown) => e instanceof ChatTemplateError && e.limit === 'time',
    );
    assert.ok(performance.now() - t0 < 5000);
  });

  it('a model without a template reports the fallback format instead of switching silently', function () {
    const tok = qwenTokenizer();
    const r = encodeChatPrompt(tok, undefined, HI, { addGenerationPrompt: true });
    assert.ok(r.ids.length > 0);
    assert.match(r.fallback ?? '', /no chat template .* ChatML/);
    assert.equal(encodeChatPrompt(tok, '{{ messages[0].content }}', HI).fallback, undefined);
  });

  it('the prompt layer reports a transcript fallback, and a limit error is thrown, not replaced by a transcript', function () {
    const withTemplate = new FakeModel(512, 8192, true);
    withTemplate.encodeChat = () => {
      throw new ChatTemplateError('T cannot be parsed: Unexpected token', 'T');
    };
    const r = encodePrompt(withTemplate, HI);
    assert.ok(r.tokens.length > 0);
    assert.match(r.fallback ?? '', /T cannot be parsed.*plain "User: \/ Assistant:" transcript/);
    withTemplate.encodeChat = () => {
      throw new ChatTemplateError('T was stopped: rendering took longer than 2 s', 'T', 'time');
    };
    assert.throws(() => encodePrompt(withTemplate, HI), (e: unknown) => e instanceof ChatTemplateError && e.limit === 'time');
    assert.match(encodePrompt(new FakeModel(512, 8192, false), HI).fallback ?? '', /no chat template/);
  });
});
