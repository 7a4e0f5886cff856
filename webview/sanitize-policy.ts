// The sanitizer policy for rendered model output. Pure data plus a URL check so node tests can pin
// it down without a DOM; webview/markdown-dom.ts hands it to DOMPurify.

/** Tags markdown can legitimately produce. No img/svg/math/form/iframe/style: nothing that can fetch or run. */
export const ALLOWED_TAGS: readonly string[] = [
  'p', 'br', 'hr', 'em', 'strong', 'del', 's', 'code', 'pre', 'span', 'a', 'blockquote',
  'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'sup', 'sub', 'kbd',
];

/** No style (CSS can fetch), no on* handlers, no id/name (DOM clobbering), no data-* from the model. */
export const ALLOWED_ATTR: readonly string[] = ['class', 'href', 'title', 'align', 'start'];

/** Only web and mail links survive; javascript:, data:, vbscript:, command:, file: and vscode: do not. */
export const ALLOWED_URI_REGEXP = /^(?:https?:\/\/|mailto:)/i;

export interface PurifyPolicy {
  ALLOWED_TAGS: string[];
  ALLOWED_ATTR: string[];
  ALLOWED_URI_REGEXP: RegExp;
  ALLOW_DATA_ATTR: boolean;
  ALLOW_ARIA_ATTR: boolean;
  ALLOW_UNKNOWN_PROTOCOLS: boolean;
  FORBID_TAGS: string[];
  FORBID_ATTR: string[];
  KEEP_CONTENT: boolean;
  SAFE_FOR_TEMPLATES: boolean;
  WHOLE_DOCUMENT: boolean;
}

export function purifyPolicy(): PurifyPolicy {
  return {
    ALLOWED_TAGS: [...ALLOWED_TAGS],
    ALLOWED_ATTR: [...ALLOWED_ATTR],
    ALLOWED_URI_REGEXP,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    FORBID_TAGS: ['script', 'style', 'img', 'svg', 'math', 'iframe', 'object', 'embed', 'form', 'input', 'link', 'meta', 'base', 'video', 'audio', 'source'],
    FORBID_ATTR: ['style', 'srcset', 'src', 'action', 'formaction', 'xlink:href'],
    KEEP_CONTENT: true,
    SAFE_FOR_TEMPLATES: false,
    WHOLE_DOCUMENT: false,
  };
}

/** The same rule as ALLOWED_URI_REGEXP, after the normalisation browsers apply (controls and spaces stripped). */
export function isAllowedHref(href: string): boolean {
  // eslint-disable-next-line no-control-regex
  const normalised = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  return ALLOWED_URI_REGEXP.test(normalised) && !/^(?:https?:\/\/|mailto:).*[<>"]/.test(normalised);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
