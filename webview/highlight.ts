// Syntax highlighting with highlight.js core and a fixed set of common languages (the full bundle is
// ~1 MB; this keeps the webview small). hljs escapes its input, so its output is safe HTML text.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import ini from 'highlight.js/lib/languages/ini';
import wgsl from './wgsl-language';
import { escapeHtml } from './sanitize-policy';

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml, ini, wgsl };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);

// Fence info strings use aliases (`ts`, `sh`, `html`); hljs.highlight wants a registered name.
const NAME_BY_ALIAS = new Map<string, string>();
for (const name of hljs.listLanguages()) {
  NAME_BY_ALIAS.set(name, name);
  for (const alias of hljs.getLanguage(name)?.aliases ?? []) NAME_BY_ALIAS.set(alias.toLowerCase(), name);
}

/** Canonical language name for a fence info string (`ts`, `TypeScript {1,3}` …), or undefined. */
export function resolveLanguage(info: string | undefined): string | undefined {
  const word = (info ?? '').trim().split(/[\s{]/)[0]?.toLowerCase() ?? '';
  return word ? NAME_BY_ALIAS.get(word) : undefined;
}

/** Highlighted HTML for a code block; unknown languages come back escaped, never auto-detected (fast while streaming). */
export function highlightCode(code: string, info: string | undefined): { html: string; language: string | undefined } {
  const language = resolveLanguage(info);
  if (!language) return { html: escapeHtml(code), language: undefined };
  try {
    return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
  } catch {
    return { html: escapeHtml(code), language: undefined };
  }
}
