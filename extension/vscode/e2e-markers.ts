// End-to-end test hooks. Only when the environment variable E2E_MARKER_DIR is set (the e2e driver
// sets it for the code-server process; the extension host inherits it), the extension writes small
// JSON files there that a driver can wait for:
//   activated.json          {time, version}                     once activation finished
//   view-ready.json         {time}                              each time a chat view posts 'ready'
//   chat-focus.json         {focused, time}                     each time the selfextend.chatFocused context
//                           key changed (written after VS Code has it, so a keybinding pressed next sees it)
//   answer-<n>.json         {kind, files, group, window, text, finish, error?, chatId}
//                           after the n-th answer (1-based, per extension-host session) completed,
//                           stopped or failed; `files` are the context chip paths, group/window the G/W used.
//   lm-request-<n>.json     {messages, text, finish, timings|error}  after the n-th language-model provider request
//   participant-<n>.json    {prompt, command, files, text, finish, timings|error}  after the n-th @selfextend request
// Writes go to a temp name and are renamed, so a reader never sees half a file. Without the variable
// nothing is written and nothing here runs.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletedAnswer } from './chat-controller';

export function markerDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const d = env.E2E_MARKER_DIR;
  return d && d.trim() ? d : undefined;
}

export function writeMarker(name: string, data: unknown, dir = markerDir()): void {
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(data, null, 1));
    renameSync(tmp, join(dir, name));
  } catch {
    // Test hooks must never disturb the extension.
  }
}

export function answerMarker(a: CompletedAnswer): Record<string, unknown> {
  return {
    kind: a.request,
    chatId: a.chatId,
    files: (a.turn.chips ?? []).map((c) => c.path),
    group: a.turn.meter?.group ?? null,
    window: a.turn.meter?.neighbor ?? null,
    usedTokens: a.turn.meter?.usedTokens ?? null,
    text: a.turn.text,
    finish: a.turn.finish ?? null,
    ...(a.turn.error ? { error: a.turn.error, actions: a.turn.actions ?? [] } : {}),
    timings: a.turn.timings ?? null,
  };
}

export function writeAnswerMarker(a: CompletedAnswer, dir = markerDir()): void {
  writeMarker(`answer-${a.index}.json`, answerMarker(a), dir);
}

/**
 * E2E only: with E2E_DOWNLOAD_BASE set to an http://127.0.0.1 (or localhost) URL, model downloads go
 * there instead of the catalog's host, so a test can serve or refuse them on this machine. Anything
 * else in the variable is ignored: it can never send a download to another host.
 */
export function e2eDownloadUrl(fileName: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.E2E_DOWNLOAD_BASE;
  if (!base) return undefined;
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' || (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost')) return undefined;
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(fileName)}`;
}
