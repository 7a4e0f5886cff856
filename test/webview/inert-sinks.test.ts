// The webview renders model output, file names and paths, error messages and chat titles. The
// real-browser injection suite (test/browser) proves the rendered result is inert; this guard keeps
// the code honest between its runs: no HTML-parsing DOM sink anywhere in webview/, so the only way
// markup reaches the DOM is the sanitizing markdown pipeline (DOMPurify, RETURN_DOM_FRAGMENT).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SINKS = /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML\s*\(|document\.write(ln)?\s*\(|createContextualFragment\s*\(|\bsrcdoc\b|\beval\s*\(|new Function\s*\(|setAttribute\(\s*['"]on|DOMParser/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? sources(p) : /\.(ts|js)$/.test(d.name) ? [p] : [];
  });
}

describe('webview: no HTML-parsing DOM sinks', () => {
  it('webview/** sets text with textContent and markup only through sanitizeHtml', () => {
    const files = sources(join(process.cwd(), 'webview'));
    assert.ok(files.length > 5);
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8').split('\n').map((line, i) => ({ f, i, line })).filter(({ line }) => !line.trim().startsWith('//') && SINKS.test(line)),
    );
    assert.deepEqual(offenders.map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim()}`), []);
    assert.ok(SINKS.test('node.innerHTML = name') && SINKS.test("el.insertAdjacentHTML('beforeend', x)"), 'the guard catches a sink');
  });
  it('the only DOMPurify output used is a DOM fragment', () => {
    const dom = readFileSync(join(process.cwd(), 'webview', 'markdown-dom.ts'), 'utf8');
    assert.match(dom, /RETURN_DOM_FRAGMENT: true/);
    assert.doesNotMatch(dom, /RETURN_DOM_FRAGMENT: false|RETURN_TRUSTED_TYPE/);
  });
});
