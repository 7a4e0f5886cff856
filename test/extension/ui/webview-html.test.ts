import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { checkedCspSource, contentSecurityPolicy, makeNonce, renderWebviewHtml } from '../../../extension/vscode/webview-html';

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
const input = {
  nonce: makeNonce((n) => randomBytes(n)),
  cspSource,
  scriptUri: `${cspSource}/ext/dist/webview/webview.js`,
  styleUri: `${cspSource}/ext/dist/webview/chat.css`,
};

function cspOf(html: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'CSP meta tag present');
  const out = new Map<string, string[]>();
  for (const d of m[1]!.replace(/&#39;/g, "'").split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

describe('extension/vscode webview HTML', () => {
  it('has a strict CSP: nothing by default, nonce scripts, local styles/fonts, no remote origins', () => {
    const html = renderWebviewHtml(input);
    const csp = cspOf(html);
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), [`'nonce-${input.nonce}'`]);
    assert.deepEqual(csp.get('style-src'), [cspSource]);
    assert.deepEqual(csp.get('img-src'), [cspSource, 'data:']);
    assert.deepEqual(csp.get('font-src'), [cspSource]);
    assert.deepEqual(csp.get('connect-src'), ["'none'"]);
    for (const values of csp.values()) {
      for (const v of values) {
        assert.ok(v !== "'unsafe-inline'" && v !== "'unsafe-eval'" && v !== '*' && v !== 'https:' && v !== 'http:', v);
        if (/^https?:/.test(v)) assert.equal(v, cspSource);
      }
    }
  });
  it('loads exactly one script, carrying the nonce, and no inline script or handler', () => {
    const html = renderWebviewHtml(input);
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0]!.includes(`nonce="${input.nonce}"`));
    assert.ok(scripts[0]!.includes(`src="${input.scriptUri}"`));
    assert.match(html, /<script[^>]*><\/script>/, 'script element has no inline body');
    assert.doesNotMatch(html, /\son[a-z]+=/i);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="${input.styleUri.replace(/[.+]/g, '\\$&')}">`));
  });
  it('uses a fresh nonce each time and rejects weak nonces or odd cspSource values', () => {
    assert.notEqual(makeNonce((n) => randomBytes(n)), makeNonce((n) => randomBytes(n)));
    assert.ok(makeNonce((n) => randomBytes(n)).length >= 43);
    assert.throws(() => renderWebviewHtml({ ...input, nonce: 'abc' }), /nonce/);
    assert.throws(() => renderWebviewHtml({ ...input, nonce: `${'a'.repeat(20)}" onload="x` }), /nonce/);
    assert.throws(() => renderWebviewHtml({ ...input, cspSource: "x; script-src 'unsafe-inline'" }), /cspSource/);
  });
  it('accepts the source lists VS Code and code-server really use, and nothing that widens the policy', () => {
    for (const src of ["'self' https://*.vscode-cdn.net", 'https://*.vscode-cdn.net', 'vscode-webview-resource:', 'https://file+.vscode-resource.vscode-cdn.net', 'http://127.0.0.1:8080'])
      assert.equal(checkedCspSource(src), src);
    for (const bad of ['', '*', 'https:', 'data:', "'unsafe-inline'", "'self' 'unsafe-eval'", 'a.com; script-src *', 'a.com,b.com'])
      assert.throws(() => checkedCspSource(bad), /cspSource/, bad);
    const csp = cspOf(renderWebviewHtml({ ...input, cspSource: "'self' https://*.vscode-cdn.net" }));
    assert.deepEqual(csp.get('style-src'), ["'self'", 'https://*.vscode-cdn.net']);
  });
  it('escapes URIs into attributes', () => {
    const html = renderWebviewHtml({ ...input, styleUri: `${cspSource}/a"><script>x</script>.css` });
    assert.doesNotMatch(html, /"><script>x/);
  });
  it('contentSecurityPolicy is stable text', () => {
    assert.equal(contentSecurityPolicy('vscode-resource:', 'N'.repeat(16)).split('; ')[0], "default-src 'none'");
  });
});
