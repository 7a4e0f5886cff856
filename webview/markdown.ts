// Markdown → HTML string for model output, before sanitization. Pure (no DOM) so node tests cover it.
// Defence in depth: raw HTML in the markdown is shown as text here, images become plain links-as-text,
// unsafe link targets become text, and DOMPurify (markdown-dom.ts) then filters whatever is left.
import { Marked, type Tokens } from 'marked';
import { highlightCode } from './highlight';
import { escapeHtml, isAllowedHref } from './sanitize-policy';

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code): string {
      const { html, language } = highlightCode(text, lang);
      const cls = language ? `hljs language-${language}` : 'hljs';
      return `<pre><code class="${cls}">${html}</code></pre>\n`;
    },
    image({ href, text }: Tokens.Image): string {
      // Never fetch: a remote image would leak that the answer was viewed (and CSP would block it anyway).
      const label = text ? `[image: ${text}]` : '[image]';
      return `<span class="md-image" title="${escapeHtml(href)}">${escapeHtml(label)}</span>`;
    },
    link(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, { href, title, tokens }: Tokens.Link): string {
      const inner = this.parser.parseInline(tokens);
      if (!isAllowedHref(href)) return `<span class="md-link-blocked">${inner}</span>`;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href)}"${t}>${inner}</a>`;
    },
    checkbox({ checked }: Tokens.Checkbox): string {
      return checked ? '☑ ' : '☐ ';
    },
  },
});

/** Unsanitized HTML for a markdown string (always pass it through sanitizeHtml before it reaches the DOM). */
export function markdownToHtml(markdown: string): string {
  const out = marked.parse(markdown, { async: false });
  return typeof out === 'string' ? out : '';
}
