// Model downloads: HTTPS GET with progress, resume into `<dest>.part` via Range after a cut
// connection, bounded redirects, SHA-256 verification, cancellation. The only network code in the
// core, and it only runs when the user starts a download.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { createHash } from 'node:crypto';
import { CancelledError } from '../util/abort';

export type DownloadErrorCode = 'http' | 'checksum' | 'size' | 'network' | 'redirects' | 'insecure' | 'io';

export class DownloadError extends Error {
  constructor(readonly code: DownloadErrorCode, message: string, readonly status?: number) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadProgress {
  receivedBytes: number;
  /** 0 when the server does not say. */
  totalBytes: number;
  /** Bytes that were already on disk from an earlier, interrupted attempt. */
  resumedFrom: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Lower-case hex. When absent, the server's x-linked-etag (Hugging Face LFS SHA-256) is used if present. */
  expectedSha256?: string;
  expectedSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  maxRedirects?: number;
  /** Reconnection attempts for the whole download (not reset by progress: a server that sends a few
   * bytes and cuts the connection must not keep us retrying forever). Default 5. */
  maxRetries?: number;
  retryDelayMs?: number;
  /** Time from sending a request to its response headers before the attempt counts as failed. Default 30 s. */
  headerTimeoutMs?: number;
  /** Idle time without any body byte before the connection is treated as cut. Default 30 s. */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** False when no digest was known in advance (recorded now, for later verification). */
  verified: boolean;
  resumed: boolean;
}

const SHA_RE = /^[0-9a-f]{64}$/;

export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  checkUrl(opts.url);
  const part = `${opts.dest}.part`;
  const maxRetries = opts.maxRetries ?? 5;
  let retries = 0;
  let resumed = false;
  let linkedSha: string | undefined;
  let total = opts.expectedSize ?? 0;

  for (;;) {
    if (opts.signal?.aborted) throw new CancelledError('download cancelled');
    const offset = await sizeOf(part);
    if (offset > 0) resumed = true;
    if (total > 0 && offset === total) break; // a previous attempt finished the body
    if (total > 0 && offset > total) await fsp.rm(part, { force: true });
    try {
      const r = await fetchOnce(opts, part, offset, (t) => (total = t || total), (sha) => (linkedSha = sha));
      if (r.complete) break;
      throw new DownloadError('network', 'the connection closed before the whole file arrived');
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      if (e instanceof DownloadError && e.code === 'size') await fsp.rm(part, { force: true });
      if (e instanceof DownloadError && e.code !== 'network') throw e;
      const now = await sizeOf(part);
      // Every failed attempt counts, progress or not: bytes that arrive may be discarded again (a 416,
      // a server that ignores Range), so "made progress" cannot prove the loop ends.
      if (++retries > maxRetries) {
        throw new DownloadError('network', `Download of ${opts.url} failed after ${maxRetries} retries: ${(e as Error).message}. Run the download again to resume from ${now} bytes.`);
      }
      await delay(opts.retryDelayMs ?? 500, opts.signal);
    }
  }

  const bytes = await sizeOf(part);
  if (opts.expectedSize !== undefined && bytes !== opts.expectedSize) {
    await fsp.rm(part, { force: true });
    throw new DownloadError('size', `Downloaded ${bytes} bytes but expected ${opts.expectedSize}; the partial file was removed. Try again.`);
  }
  const sha = await sha256File(part, opts.signal);
  const expected = (opts.expectedSha256 ?? linkedSha)?.toLowerCase();
  if (expected && sha !== expected) {
    await fsp.rm(part, { force: true });
    throw new DownloadError(
      'checksum',
      `Checksum mismatch for ${opts.url}: expected sha256 ${expected}, got ${sha}. The file was removed; ` +
        'the download was corrupted or the file changed upstream.',
    );
  }
  await fsp.rename(part, opts.dest);
  return { path: opts.dest, sha256: sha, bytes, verified: expected !== undefined, resumed };
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DownloadError('http', `Not a valid URL: ${url}`);
  }
  if (u.protocol === 'https:') return;
  // Plain HTTP only to this machine (tests, local mirrors): model files must not be tampered with in transit.
  if (u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]')) return;
  throw new DownloadError('insecure', `Refusing to download over ${u.protocol} from ${u.host}: use https.`);
}

interface FetchResult {
  complete: boolean;
  startedAt: number;
}

/** One request chain (following redirects) that appends to `part` from `offset`. */
async function fetchOnce(
  opts: DownloadOptions, part: string, offset: number, onTotal: (t: number) => void, onSha: (s: string) => void,
): Promise<FetchResult> {
  let url = opts.url;
  const maxRedirects = opts.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    checkUrl(url);
    const res = await request(url, offset, opts.signal, opts.headerTimeoutMs ?? 30_000);
    const linked = headerOf(res, 'x-linked-etag')?.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
    if (linked && SHA_RE.test(linked)) onSha(linked);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= maxRedirects) throw new DownloadError('redirects', `Too many redirects (more than ${maxRedirects}) for ${opts.url}.`);
      url = new URL(res.headers.location, url).toString();
      continue;
    }
    if (status === 416 && offset > 0) {
      // Our partial file is not a prefix the server can continue (e.g. the file changed): start over.
      res.resume();
      await fsp.rm(part, { force: true });
      return { complete: false, startedAt: 0 };
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      const msg = `HTTP ${status} ${res.statusMessage ?? ''}`.trim();
      if (status >= 500 || status === 429) throw new DownloadError('network', `${msg} from ${url}`, status);
      throw new DownloadError('http', `Download failed: ${msg} for ${url}${status === 404 ? ' (the file is not there; check the URL or model id)' : ''}.`, status);
    }
    let start = offset;
    if (status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(headerOf(res, 'content-range') ?? '');
      if (!m || Number(m[1]) !== offset) {
        res.resume();
        await fsp.rm(part, { force: true });
        return { complete: false, startedAt: 0 };
      }
      if (m[3] !== '*') onTotal(Number(m[3]));
    } else {
      start = 0; // server ignored Range: take the whole body
      const len = Number(headerOf(res, 'content-length') ?? 0);
      if (len > 0) onTotal(len);
    }
    const length = Number(headerOf(res, 'content-length') ?? -1);
    // Never write past the size we expect: a server announcing (or sending) more is wrong, not slow.
    const limit = opts.expectedSize;
    if (limit !== undefined && length >= 0 && start + length > limit) {
      res.destroy();
      throw new DownloadError('size', `The server announced ${start + length} bytes for ${opts.url} but ${limit} were expected; nothing more was written. Check the URL or model id.`);
    }
    const received = await pipeBody(res, part, start, opts, length, limit);
    return { complete: length < 0 ? true : received === length, startedAt: start };
  }
}

function request(url: string, offset: number, signal: AbortSignal | undefined, headerTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const headers: Record<string, string> = { 'user-agent': 'selfextend-vscode', 'accept-encoding': 'identity' };
    if (offset > 0) headers['range'] = `bytes=${offset}-`;
    // A server that accepts the connection and never answers would otherwise stall until the user cancels.
    const timer = setTimeout(() => {
      req.destroy(new DownloadError('network', `no response from ${new URL(url).host} within ${Math.round(headerTimeoutMs / 100) / 10} s`));
    }, headerTimeoutMs);
    const req = lib.get(url, { headers, signal }, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e instanceof DownloadError ? e : e.name === 'AbortError' ? new CancelledError('download cancelled') : new DownloadError('network', e.message));
    });
  });
}

/** Appends the body to `part`; with `limit`, stops (a 'size' error) rather than write byte limit + 1. */
function pipeBody(res: http.IncomingMessage, part: string, start: number, opts: DownloadOptions, length: number, limit: number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
    let received = 0;
    let lastReport = 0;
    const total = length >= 0 ? start + length : 0;
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      res.destroy();
      // Wait for the file to be flushed either way, so a resume sees every byte we received.
      out.end(() => (err ? reject(err) : resolve(received)));
    };
    const idleMs = opts.idleTimeoutMs ?? 30_000;
    const idleError = (): DownloadError => new DownloadError('network', `no data received for ${Math.round(idleMs / 100) / 10} s`);
    let idle = setTimeout(() => finish(idleError()), idleMs);
    const onAbort = (): void => finish(new CancelledError('download cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (limit !== undefined && start + received + chunk.length > limit) {
        out.write(chunk.subarray(0, Math.max(0, limit - start - received)));
        received = limit - start;
        finish(new DownloadError('size', `The server sent more than the expected ${limit} bytes for ${opts.url}; the download was stopped and the partial file removed. Check the URL or model id.`));
        return;
      }
      received += chunk.length;
      clearTimeout(idle);
      idle = setTimeout(() => finish(idleError()), idleMs);
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      const now = Date.now();
      if (now - lastReport > 100 || (length >= 0 && received === length)) {
        lastReport = now;
        opts.onProgress?.({ receivedBytes: start + received, totalBytes: total, resumedFrom: start });
      }
    });
    res.on('end', () => {
      opts.onProgress?.({ receivedBytes: start + received, totalBytes: total, resumedFrom: start });
      finish(null);
    });
    res.on('aborted', () => finish(new DownloadError('network', 'the server closed the connection')));
    res.on('error', (e) => finish(new DownloadError('network', e.message)));
    out.on('error', (e) => finish(new DownloadError('io', `Cannot write ${part}: ${e.message}`)));
  });
}

function headerOf(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function sizeOf(p: string): Promise<number> {
  try {
    return (await fsp.stat(p)).size;
  } catch {
    return 0;
  }
}

export async function sha256File(p: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  const stream = fs.createReadStream(p, { highWaterMark: 1 << 20, signal });
  try {
    for await (const chunk of stream) h.update(chunk as Buffer);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw new CancelledError('download cancelled');
    throw e;
  }
  return h.digest('hex');
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('download cancelled'));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new CancelledError('download cancelled'));
    };
    // The listener goes when the delay ends, or a long download would leave one per retry on the signal.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
