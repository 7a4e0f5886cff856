// The DOM half of rendering model output: DOMPurify with the strict policy, then code-block toolbars
// built with createElement (so no handler ever comes from HTML).
import DOMPurify from 'dompurify';
import { markdownToHtml } from './markdown';
import { purifyPolicy } from './sanitize-policy';

const policy = purifyPolicy();

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function sanitizeHtml(html: string): DocumentFragment {
  return DOMPurify.sanitize(html, { ...policy, RETURN_DOM_FRAGMENT: true }) as DocumentFragment;
}

export interface CodeBlockActions {
  copy(code: string): void;
  insert(code: string): void;
}

/** Rendered, sanitized markdown with code-block buttons wired, not yet in the document. */
export function renderMarkdownFragment(markdown: string, actions: CodeBlockActions): DocumentFragment {
  const fragment = sanitizeHtml(markdownToHtml(markdown));
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) decorateCodeBlock(pre, actions);
  return fragment;
}

/** Replaces `target`'s children with the rendered, sanitized markdown and wires code-block buttons. */
export function renderMarkdownInto(target: HTMLElement, markdown: string, actions: CodeBlockActions): void {
  target.replaceChildren(renderMarkdownFragment(markdown, actions));
}

/** Wraps a <pre> (already in a parent) in the code-block frame with its Copy/Insert toolbar. */
export function decorateCodeBlock(pre: HTMLPreElement, actions: CodeBlockActions): void {
  const code = pre.querySelector('code');
  const lang = /language-([\w+-]+)/.exec(code?.className ?? '')?.[1];
  const wrapper = document.createElement('div');
  wrapper.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-toolbar';
  const label = document.createElement('span');
  label.className = 'code-lang';
  label.textContent = lang ?? 'text';
  bar.append(label, button('Copy', 'Copy code to the clipboard', 'copy-code', () => actions.copy(code?.textContent ?? '')),
    button('Insert', 'Insert code at the cursor in the active editor', 'insert-code', () => actions.insert(code?.textContent ?? '')));
  pre.replaceWith(wrapper);
  pre.tabIndex = 0; // scrollable regions must be keyboard reachable
  wrapper.append(bar, pre);
}

export function button(text: string, ariaLabel: string, className: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.setAttribute('aria-label', ariaLabel);
  b.title = ariaLabel;
  b.addEventListener('click', onClick);
  return b;
}
