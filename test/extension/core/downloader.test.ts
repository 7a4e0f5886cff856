import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { downloadFile, DownloadError, MODEL_CATALOG, type DownloadProgress } from '../../../extension/core/models';

interface Served {
  url: string;
  ranges: (string | undefined)[];
  close: () => Promise<void>;
}

/** A loopback server for one file; `cutFirst` closes the socket mid-body on the first GET. */
async function serve(body: Buffer, opts: { cutFirst?: boolean; linkedEtag?: string; slow?: boolean } = {}): Promise<Served> {
  const ranges: (string | undefined)[] = [];
  let gets = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404, 'Not Found').end('nope');
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/file', ...(opts.linkedEtag ? { 'x-linked-etag': `"${opts.linkedEtag}"` } : {}) }).end();
      return;
    }
    if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
      return;
    }
    gets++;
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const slice = body.subarray(start);
    const headers: http.OutgoingHttpHeaders = { 'content-length': slice.length };
    if (m) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (opts.cutFirst && gets === 1) {
      res.write(slice.subarray(0, Math.floor(slice.length / 3)), () => res.socket?.destroy());
      return;
    }
    if (opts.slow) {
      let i = 0;
      const step = (): void => {
        if (i >= slice.length || res.destroyed) return void res.end();
        res.write(slice.subarray(i, i + 4096));
        i += 4096;
        setTimeout(step, 5);
      };
      step();
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ranges,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** A loopback server that misbehaves on every request (issue 13 finding 3); counts requests and bytes sent. */
async function hostile(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; requests: () => number; sent: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let sent = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer, ...rest: never[]) => ((sent += chunk.length), write(chunk, ...rest))) as typeof res.write;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/file`, requests: () => requests, sent: () => sent,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Runs a download that must end on its own; an AbortController stops it after `ms` so a regression fails instead of hanging. */
async function bounded<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<{ result?: T; error?: unknown; ms: number; signal: AbortSignal }> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), ms);
  const t0 = Date.now();
  try {
    return { result: await run(ac.signal), ms: Date.now() - t0, signal: ac.signal };
  } catch (error) {
    return { error, ms: Date.now() - t0, signal: ac.signal };
  } finally {
    clearTimeout(t);
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('extension/core/models: downloader (loopback server only)', () => {
  let dir = '';
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'se-dl-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const body = randomBytes(300_000);

  it('downloads with progress and a verified checksum, leaving no .part file', async () => {
    const s = await serve(body);
    try {
      const dest = path.join(dir, 'm.gguf');
      const progress: DownloadProgress[] = [];
      const r = await downloadFile({ url: `${s.url}/file`, dest, expectedSha256: sha(body), expectedSize: body.length, onProgress: (p) => progress.push(p) });
      assert.deepEqual(fs.readFileSync(dest), body);
      assert.equal(r.verified, true);
      assert.equal(r.sha256, sha(body));
      assert.ok(!fs.existsSync(`${dest}.part`));
      assert.ok(progress.length >= 1);
      assert.deepEqual(progress[progress.length - 1], { receivedBytes: body.length, totalBytes: body.length, resumedFrom: 0 });
    } finally {
      await s.close();
    }
  });

  it('resumes with a Range request after the server cuts the connection mid-body', async () => {
    const s = await serve(body, { cutFirst: true });
    try {
      const dest = path.join(dir, 'm.gguf');
      const progress: DownloadProgress[] = [];
      const r = await downloadFile({ url: `${s.url}/file`, dest, expectedSha256: sha(body), retryDelayMs: 10, onProgress: (p) => progress.push(p) });
      assert.deepEqual(fs.readFileSync(dest), body);
      assert.equal(r.resumed, true);
      assert.equal(s.ranges[0], undefined);
      assert.match(s.ranges[1] ?? '', /^bytes=\d+-$/);
      const from = Number(/\d+/.exec(s.ranges[1]!)![0]);
      assert.ok(from > 0 && from < body.length);
      assert.ok(progress.some((p) => p.resumedFrom === from));
    } finally {
      await s.close();
    }
  });

  it('removes the file and explains on a checksum mismatch', async () => {
    const s = await serve(body);
    try {
      const dest = path.join(dir, 'm.gguf');
      await assert.rejects(
        downloadFile({ url: `${s.url}/file`, dest, expectedSha256: '0'.repeat(64) }),
        (e: unknown) => e instanceof DownloadError && e.code === 'checksum' && /Checksum mismatch.*expected sha256 0{64}, got [0-9a-f]{64}\. The file was removed/.test(e.message),
      );
      assert.ok(!fs.existsSync(dest) && !fs.existsSync(`${dest}.part`));
    } finally {
      await s.close();
    }
  });

  it('reports 404 clearly and leaves nothing behind', async () => {
    const s = await serve(body);
    try {
      const dest = path.join(dir, 'm.gguf');
      await assert.rejects(downloadFile({ url: `${s.url}/missing`, dest }), (e: unknown) => e instanceof DownloadError && e.status === 404 && /HTTP 404 Not Found/.test(e.message));
      assert.ok(!fs.existsSync(dest) && !fs.existsSync(`${dest}.part`));
    } finally {
      await s.close();
    }
  });

  it('follows redirects (bounded) and checks the x-linked-etag digest a server reports', async () => {
    const good = await serve(body, { linkedEtag: sha(body) });
    try {
      const r = await downloadFile({ url: `${good.url}/redirect`, dest: path.join(dir, 'a.gguf') });
      assert.equal(r.verified, true);
      await assert.rejects(downloadFile({ url: `${good.url}/loop`, dest: path.join(dir, 'b.gguf'), maxRedirects: 3 }), (e: unknown) => e instanceof DownloadError && e.code === 'redirects');
    } finally {
      await good.close();
    }
    const bad = await serve(body, { linkedEtag: 'f'.repeat(64) });
    try {
      await assert.rejects(downloadFile({ url: `${bad.url}/redirect`, dest: path.join(dir, 'c.gguf') }), (e: unknown) => e instanceof DownloadError && e.code === 'checksum');
    } finally {
      await bad.close();
    }
  });

  it('cancels mid-body, keeps the .part file, and a later run resumes it', async () => {
    const s = await serve(body, { slow: true });
    try {
      const dest = path.join(dir, 'm.gguf');
      const ac = new AbortController();
      await assert.rejects(
        downloadFile({ url: `${s.url}/file`, dest, signal: ac.signal, onProgress: (p) => p.receivedBytes > 50_000 && ac.abort() }),
        (e: Error) => e.name === 'AbortError',
      );
      const kept = fs.statSync(`${dest}.part`).size;
      assert.ok(kept > 0 && kept < body.length);
      const r = await downloadFile({ url: `${s.url}/file`, dest, expectedSha256: sha(body) });
      assert.equal(r.resumed, true);
      assert.deepEqual(fs.readFileSync(dest), body);
    } finally {
      await s.close();
    }
  });

  it('refuses plain http to anything but this machine, before connecting', async () => {
    await assert.rejects(downloadFile({ url: 'http://example.com/m.gguf', dest: path.join(dir, 'x') }), (e: unknown) => e instanceof DownloadError && e.code === 'insecure');
  });

  describe('against a hostile server (issue 13 finding 3)', () => {
    it('a server that accepts and never answers fails after the header timeout, not when the user cancels', async () => {
      const s = await hostile(() => undefined); // headers never come
      try {
        const r = await bounded(5000, (signal) => downloadFile({ url: s.url, dest: path.join(dir, 'm'), signal, headerTimeoutMs: 150, maxRetries: 1, retryDelayMs: 1 }));
        assert.ok(r.error instanceof DownloadError && r.error.code === 'network' && /no response from 127\.0\.0\.1:\d+ within 0\.2 s/.test(r.error.message), String(r.error));
        assert.equal(s.requests(), 2, 'one try and one retry');
        assert.ok(r.ms < 3000, `${r.ms} ms`);
      } finally {
        await s.close();
      }
    });

    it('a body that stalls fails after the idle timeout', async () => {
      const s = await hostile((_req, res) => {
        res.writeHead(200, { 'content-length': 1000 });
        res.write(Buffer.alloc(10)); // then nothing
      });
      try {
        const r = await bounded(5000, (signal) => downloadFile({ url: s.url, dest: path.join(dir, 'm'), signal, idleTimeoutMs: 150, maxRetries: 1, retryDelayMs: 1 }));
        assert.ok(r.error instanceof DownloadError && r.error.code === 'network' && /no data received for 0\.2 s/.test(r.error.message), String(r.error));
        assert.ok(r.ms < 3000, `${r.ms} ms`);
      } finally {
        await s.close();
      }
    });

    it('counts retries per download: bytes that arrive and are discarded do not reset the counter; no listener leaks', async () => {
      // Ignores Range, sends 100 of its 1,000 bytes and cuts: every attempt "progresses" from 0 to 100.
      const s = await hostile((_req, res) => {
        res.writeHead(200, { 'content-length': 1000 });
        res.write(Buffer.alloc(100, 7), () => res.socket?.destroy());
      });
      try {
        const r = await bounded(5000, (signal) => downloadFile({ url: s.url, dest: path.join(dir, 'm'), signal, maxRetries: 3, retryDelayMs: 1 }));
        assert.ok(r.error instanceof DownloadError && r.error.code === 'network' && /failed after 3 retries/.test(r.error.message), String(r.error));
        assert.equal(s.requests(), 4, 'the first try and 3 retries, then stop');
        assert.equal(getEventListeners(r.signal, 'abort').length, 0, 'every abort listener is removed when the download ends');
      } finally {
        await s.close();
      }
    });

    it('stops at the expected size + 0: an endless body or an oversized Content-Length writes nothing past it', async () => {
      let maxPart = 0;
      const dest = path.join(dir, 'm');
      const endless = await hostile((_req, res) => {
        res.writeHead(200); // chunked, no length
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = (): void => {
          if (res.destroyed) return;
          try {
            maxPart = Math.max(maxPart, fs.statSync(`${dest}.part`).size);
          } catch { /* not created yet */ }
          if (res.write(chunk)) setImmediate(pump);
          else res.once('drain', pump);
        };
        pump();
      });
      try {
        const r = await bounded(5000, (signal) => downloadFile({ url: endless.url, dest, signal, expectedSize: 1000, maxRetries: 1, retryDelayMs: 1 }));
        assert.ok(r.error instanceof DownloadError && r.error.code === 'size' && /more than the expected 1000 bytes/.test(r.error.message), String(r.error));
        assert.ok(maxPart <= 1000, `the .part file reached ${maxPart} bytes`);
        assert.ok(!fs.existsSync(`${dest}.part`) && !fs.existsSync(dest), 'nothing is left behind');
        assert.equal(endless.requests(), 1, 'a size error is not retried');
        assert.ok(endless.sent() < 16 * 1024 * 1024, `the connection was dropped (server wrote ${endless.sent()} bytes)`);
      } finally {
        await endless.close();
      }
      const big = await hostile((_req, res) => {
        res.writeHead(200, { 'content-length': 5000 });
        res.end(Buffer.alloc(5000, 2));
      });
      try {
        const r = await bounded(5000, (signal) => downloadFile({ url: big.url, dest, signal, expectedSize: 1000 }));
        assert.ok(r.error instanceof DownloadError && r.error.code === 'size' && /announced 5000 bytes .* 1000 were expected/.test(r.error.message), String(r.error));
        assert.ok(!fs.existsSync(`${dest}.part`));
      } finally {
        await big.close();
      }
    });
  });

  it('the catalog lists real Hugging Face files with sizes and SHA-256 digests', () => {
    assert.equal(MODEL_CATALOG.length, 4);
    for (const m of MODEL_CATALOG) {
      assert.match(m.url, /^https:\/\/huggingface\.co\/[^/]+\/[^/]+\/resolve\/main\/[^/]+\.gguf$/);
      assert.ok(m.url.endsWith(`/${m.fileName}`));
      assert.match(m.sha256, /^[0-9a-f]{64}$/);
      assert.ok(m.sizeBytes > 100_000_000);
    }
    assert.equal(MODEL_CATALOG.find((m) => m.id.startsWith('tinyllama'))?.contextLength, 2048);
  });
});
