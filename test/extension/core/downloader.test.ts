import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
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
