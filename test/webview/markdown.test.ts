import { strict as assert } from 'node:assert';
import { markdownToHtml } from '../../webview/markdown';
import { highlightCode, resolveLanguage } from '../../webview/highlight';
import { isAllowedHref, purifyPolicy, escapeHtml } from '../../webview/sanitize-policy';

// The DOMPurify stage needs a DOM and is covered by the e2e team's real-browser injection suite;
// these tests pin the marked/highlight stage, which must already be inert on its own.
describe('webview markdown stage (before DOMPurify)', () => {
  it('renders ordinary markdown', () => {
    const html = markdownToHtml('# Title\n\nSome **bold** and `code`.\n\n- a\n- b\n');
    assert.match(html, /<h1>Title<\/h1>/);
    assert.match(html, /<strong>bold<\/strong>/);
    assert.match(html, /<code>code<\/code>/);
    assert.match(html, /<li>a<\/li>/);
  });
  it('shows raw HTML from the model as text, block and inline', () => {
    const html = markdownToHtml('<script>alert(1)</script>\n\nhello <img src=x onerror=alert(1)> there <b onclick="x()">b</b>');
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<b /i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });
  it('never emits images (no remote fetch) and keeps their alt text', () => {
    const html = markdownToHtml('![a cat](https://evil.example/track.png "t")');
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /\[image: a cat\]/);
  });
  it('drops javascript:, data:, command: and file: link targets but keeps their text', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>1</script>', 'command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://x']) {
      const html = markdownToHtml(`[click me](${href})`);
      assert.doesNotMatch(html, /<a /, href);
      assert.match(html, /click me/);
    }
    assert.match(markdownToHtml('[docs](https://example.com/a?b=1)'), /<a href="https:\/\/example.com\/a\?b=1">docs<\/a>/);
  });
  it('escapes attribute-breaking characters in link titles', () => {
    const html = markdownToHtml('[x](https://e.com "a\\" onmouseover=\\"alert(1)")');
    assert.doesNotMatch(html, /" onmouseover="/);
  });
  it('highlights fenced code with escaping and a language class', () => {
    const html = markdownToHtml('```ts\nconst s: string = "<script>";\n```');
    assert.match(html, /<pre><code class="hljs language-typescript">/);
    assert.match(html, /hljs-keyword/);
    assert.match(html, /&lt;script&gt;/);
    assert.doesNotMatch(html, /<script>/);
  });
  it('escapes code in unknown languages instead of guessing', () => {
    const html = markdownToHtml('```nosuchlang\n<img src=x onerror=alert(1)>\n```');
    assert.match(html, /<code class="hljs">&lt;img src=x onerror=alert\(1\)&gt;/);
  });
  it('renders an unterminated fence while streaming', () => {
    const html = markdownToHtml('Here:\n```python\ndef f():\n    return 1');
    assert.match(html, /language-python/);
  });
  it('turns task-list checkboxes into text (no form inputs)', () => {
    const html = markdownToHtml('- [x] done\n- [ ] todo');
    assert.doesNotMatch(html, /<input/);
    assert.match(html, /☑/);
  });
});

describe('webview highlight', () => {
  it('resolves common fence aliases', () => {
    assert.equal(resolveLanguage('ts'), 'typescript');
    assert.equal(resolveLanguage('JS'), 'javascript');
    assert.equal(resolveLanguage('sh'), 'bash');
    assert.equal(resolveLanguage('html'), 'xml');
    assert.equal(resolveLanguage('py {linenos}'), 'python');
    assert.equal(resolveLanguage('wgsl'), 'wgsl');
    assert.equal(resolveLanguage(''), undefined);
    assert.equal(resolveLanguage('brainfudge'), undefined);
  });
  it('highlights WGSL with the local grammar', () => {
    const { html, language } = highlightCode('@compute fn main() { let x: f32 = 1.0; }', 'wgsl');
    assert.equal(language, 'wgsl');
    assert.match(html, /hljs-keyword">fn</);
  });
});

describe('webview sanitize policy', () => {
  it('allows only http(s) and mailto links', () => {
    assert.equal(isAllowedHref('https://a.b/c'), true);
    assert.equal(isAllowedHref('http://a.b'), true);
    assert.equal(isAllowedHref('mailto:a@b.c'), true);
    for (const h of ['javascript:x', ' javascript:x', 'java\tscript:x', 'java\u0000script:x', 'data:,x', 'vbscript:x', '//evil.com', '#x', 'command:x', 'https://a"onclick="x']) assert.equal(isAllowedHref(h), false, h);
  });
  it('forbids tags and attributes that fetch or run', () => {
    const p = purifyPolicy();
    for (const t of ['script', 'img', 'style', 'iframe', 'svg', 'form', 'input']) {
      assert.ok(!p.ALLOWED_TAGS.includes(t), t);
      assert.ok(p.FORBID_TAGS.includes(t), t);
    }
    assert.ok(p.ALLOWED_ATTR.every((a) => !a.startsWith('on') && a !== 'style' && a !== 'src'));
    assert.equal(p.ALLOW_DATA_ATTR, false);
    assert.equal(p.ALLOW_UNKNOWN_PROTOCOLS, false);
  });
  it('escapeHtml escapes the five special characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
