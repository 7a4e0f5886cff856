// The chat webview's HTML document. Pure (no vscode import) so the CSP can be tested directly.
// The CSP is the second wall behind the sanitizer: even if markup slipped through, no inline script,
// no handler, no remote fetch could run or load.

export interface WebviewHtmlInput {
  /** Fresh random value per render; only our bundle carries it. */
  nonce: string;
  /** webview.cspSource: the origin VS Code serves local resources from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** Document title for screen readers. */
  title?: string;
}

const NONCE_PATTERN = /^[A-Za-z0-9+/=_-]{16,}$/;

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// cspSource goes into the CSP verbatim. VS Code gives a space-separated source list (code-server:
// "'self' https://*.vscode-cdn.net"); accept only 'self' and host/scheme sources, so nothing can
// add a directive, a keyword like 'unsafe-inline', or a wildcard-everything source.
const SOURCE_TOKEN = /^(?:'self'|[a-z][a-z0-9+.-]*:(?:\/\/[A-Za-z0-9*.:+[\]_-]+(?:\/[^\s;,'"]*)?)?|[A-Za-z0-9*][A-Za-z0-9*.-]*\.[A-Za-z0-9-]+(?::\d+)?)$/;

export function checkedCspSource(cspSource: string): string {
  const tokens = cspSource.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0 || tokens.some((t) => !SOURCE_TOKEN.test(t) || t === '*' || /^(?:https?|data|blob):$/.test(t))) {
    throw new Error(`unexpected cspSource '${cspSource}'`);
  }
  return tokens.join(' ');
}

export function renderWebviewHtml(input: WebviewHtmlInput): string {
  if (!NONCE_PATTERN.test(input.nonce)) throw new Error('webview nonce must be at least 16 base64/url-safe characters');
  const cspSource = checkedCspSource(input.cspSource);
  const csp = contentSecurityPolicy(cspSource, input.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(input.styleUri)}">
<title>${attr(input.title ?? 'SelfExtend Chat')}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${input.nonce}" src="${attr(input.scriptUri)}"></script>
</body>
</html>
`;
}

/** 32 random bytes, base64url: unguessable per render. */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  return Buffer.from(randomBytes(32)).toString('base64url');
}
