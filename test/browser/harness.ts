// Serves the chat webview the way VS Code would (the HTML from extension/vscode/webview-html.ts, the bundle
// and CSS from our own origin) on 127.0.0.1, and opens it in Debian's Chromium through playwright-core with a
// stub acquireVsCodeApi that records what the webview posts. Every request is recorded, both by the browser
// and by the server, so tests can prove nothing else was fetched.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../extension/vscode/webview-html';
import type { ExtensionMessage, WebviewMessage } from '../../extension/protocol';

export const root = join(__dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ASSETS = join(root, 'webview/assets');

export interface WebviewServer {
  origin: string;
  /** The HTML last served, with its nonce (a fresh one per page load, as VS Code does per render). */
  lastHtml: { html: string; nonce: string } | undefined;
  /** Paths the server was asked for. */
  served: string[];
  allowedPaths: Set<string>;
  close(): Promise<void>;
}

/** Bundles webview/main.ts in memory with the same options as scripts/build.mjs, so the test never races a build. */
export async function bundleWebview(): Promise<string> {
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['webview/main.ts'],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.wgsl': 'text' },
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

export async function startServer(bundle: string): Promise<WebviewServer> {
  const css = new Map(readdirSync(ASSETS).filter((f) => f.endsWith('.css')).map((f) => [`/${f}`, readFileSync(join(ASSETS, f), 'utf8')]));
  const styleFile = css.has('/chat.css') ? '/chat.css' : [...css.keys()][0];
  if (!styleFile) throw new Error('webview/assets has no stylesheet');
  let server: Server | undefined;
  const state: WebviewServer = {
    origin: '',
    lastHtml: undefined,
    served: [],
    // favicon.ico: Chromium asks for it for any top-level page; inside VS Code the webview is an iframe,
    // which never does. It gets a 404 like any other unknown path.
    allowedPaths: new Set(['/', '/webview.js', '/favicon.ico', ...css.keys()]),
    close: () => new Promise<void>((res) => (server ? server.close(() => res()) : res())),
  };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', state.origin).pathname;
    state.served.push(path);
    if (path === '/') {
      const nonce = makeNonce((n) => randomBytes(n));
      const html = renderWebviewHtml({ nonce, cspSource: state.origin, scriptUri: `${state.origin}/webview.js`, styleUri: `${state.origin}${styleFile}` });
      state.lastHtml = { html, nonce };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/webview.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    } else if (css.has(path)) {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' }).end(css.get(path));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((res) => server!.listen(0, '127.0.0.1', res));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  // Chromium writes crash-report settings and dconf state under $HOME; give it a throwaway one.
  const home = mkdtempSync(join(tmpdir(), 'selfextend-browser-home-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    // No sandbox: CI runs as root in a container. The rest keeps Chromium from phoning home on its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  browser.on('disconnected', () => rmSync(home, { recursive: true, force: true }));
  return browser;
}

export type ThemeKind = 'light' | 'dark' | 'high-contrast';

/** A subset of the --vscode-* variables VS Code puts on the webview's <html>, per theme kind. */
export const THEMES: Record<ThemeKind, Record<string, string>> = {
  light: {
    'font-family': 'sans-serif', 'font-size': '13px', foreground: '#3b3b3b', 'sideBar-background': '#f8f8f8', 'editor-background': '#ffffff',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
    focusBorder: '#005fb8', errorForeground: '#a1260d', descriptionForeground: '#6f6f6f', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b',
    'input-border': '#cecece', 'textLink-foreground': '#005fb8', 'textCodeBlock-background': '#e9e9e9', 'panel-border': '#e5e5e5',
  },
  dark: {
    'font-family': 'sans-serif', 'font-size': '13px', foreground: '#cccccc', 'sideBar-background': '#181818', 'editor-background': '#1f1f1f',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
    focusBorder: '#0078d4', errorForeground: '#f85149', descriptionForeground: '#9d9d9d', 'input-background': '#313131', 'input-foreground': '#cccccc',
    'input-border': '#3c3c3c', 'textLink-foreground': '#4daafc', 'textCodeBlock-background': '#2b2b2b', 'panel-border': '#2b2b2b',
  },
  'high-contrast': {
    'font-family': 'sans-serif', 'font-size': '13px', foreground: '#ffffff', 'sideBar-background': '#000000', 'editor-background': '#000000',
    'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df', 'button-secondaryBackground': '#000000',
    'button-secondaryForeground': '#ffffff', focusBorder: '#f38518', contrastBorder: '#6fc3df', errorForeground: '#f48771',
    descriptionForeground: '#ffffff', 'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df',
    'textLink-foreground': '#21a6ff', 'textCodeBlock-background': '#000000', 'panel-border': '#6fc3df',
  },
};

export interface WebviewPage {
  page: Page;
  context: BrowserContext;
  /** Requests the browser made that were not one of the served, expected files (blocked, never sent). */
  strayRequests: string[];
  dialogs: string[];
  pageErrors: string[];
  cspViolations(): Promise<string[]>;
  posted(): Promise<WebviewMessage[]>;
  send(...msgs: ExtensionMessage[]): Promise<void>;
  /** Resolves after the webview's next two animation frames, when a streamed token has been rendered. */
  frames(): Promise<void>;
  close(): Promise<void>;
}

export async function openWebview(browser: Browser, server: WebviewServer, theme: ThemeKind = 'dark'): Promise<WebviewPage> {
  const context = await browser.newContext({ viewport: { width: 420, height: 720 } });
  const strayRequests: string[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  // Anything but the three served files is recorded and aborted, so a failing test never reaches the network.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === server.origin && server.allowedPaths.has(url.pathname)) return route.continue();
    strayRequests.push(route.request().url());
    return route.abort();
  });
  // tsx compiles this file with esbuild's keepNames, which wraps named functions in a `__name(...)` helper;
  // functions serialized into the page by evaluate/addInitScript need that helper there too.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  // What VS Code's webview host does before our script runs: acquireVsCodeApi, theme class and variables.
  await context.addInitScript(
    ({ kind, vars }) => {
      const w = window as unknown as { __posted: unknown[]; __state: unknown; __csp: string[]; acquireVsCodeApi: () => unknown };
      w.__posted = [];
      w.__csp = [];
      w.__state = undefined;
      let acquired = false;
      w.acquireVsCodeApi = () => {
        if (acquired) throw new Error('acquireVsCodeApi called twice'); // as in VS Code
        acquired = true;
        return {
          postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
          getState: () => w.__state,
          setState: (s: unknown) => {
            w.__state = s;
          },
        };
      };
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      // Init scripts run before <html> exists; VS Code has the class and variables in place before the
      // webview's own script runs, so apply them as soon as <body> is parsed.
      const apply = (): boolean => {
        if (!document.body) return false;
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
        document.body.classList.add(`vscode-${kind}`);
        document.body.dataset.vscodeThemeKind = `vscode-${kind}`;
        return true;
      };
      const obs = new MutationObserver(() => {
        if (apply()) obs.disconnect();
      });
      obs.observe(document, { childList: true, subtree: true });
    },
    { kind: theme, vars: THEMES[theme] },
  );
  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/`);
  // The webview posts `ready` once it has wired its message listener.
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return {
    page,
    context,
    strayRequests,
    dialogs,
    pageErrors,
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted),
    send: async (...msgs) => {
      for (const m of msgs) await page.evaluate((msg) => window.postMessage(msg, '*'), m);
    },
    frames: () => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))),
    close: () => context.close(),
  };
}
