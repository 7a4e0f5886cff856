import * as path from 'node:path';
import { WorkerBackend } from '../extension/backend/client';
import { DEFAULT_SETTINGS, normalizeSettings } from '../extension/core/chat';
let model = process.argv[2]!;
const settings = () => normalizeSettings({ ...DEFAULT_SETTINGS, modelPath: model, maxNewTokens: 4, temperature: 0, selfExtend: { enabled: true, groupSize: 8, neighborWindow: 32, targetContext: 1024 } });
const b = new WorkerBackend({ settings, source: () => null, editor: () => undefined, log: (l) => console.log('log:', l) });
(async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  const ev = { progress: (p: string) => console.log(Date.now() - t0, 'progress', p), context: () => undefined, token: () => undefined };
  const off = b.onStatus((s) => { if (s.phase === 'ready') { off(); setTimeout(() => { console.log(Date.now() - t0, 'STOP'); ac.abort(); }, Number(process.argv[3] ?? 500)); } });
  try { await b.answer({ kind: 'ask', chatId: 'c', question: 'hi', history: [], signal: ac.signal, workspace: false }, ev); console.log('ok?'); }
  catch (e) { console.log(Date.now() - t0, 'rejected', (e as Error).name, (e as Error).message); }
  model = path.resolve('assets/models/passkey-char-128.gguf');
  const r = await b.answer({ kind: 'ask', chatId: 'd', question: 'hi', history: [], signal: new AbortController().signal, workspace: false }, ev);
  console.log(Date.now() - t0, 'second', r.finish, 'workers', b.workersStarted);
  await b.shutdown();
})().catch((e) => { console.error('FAIL', e); process.exit(1); });
