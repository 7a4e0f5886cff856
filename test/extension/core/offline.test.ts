// Issue 7 criterion 7: the chat path (repository reading, ranking, packing, prompt, generation,
// summaries) opens no connection. Every outbound API is trapped for the duration.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import http from 'node:http';
import { NodeFileSource } from '../../../extension/core/workspace';
import { ChatSession, DEFAULT_SETTINGS, normalizeSettings, summarizeText } from '../../../extension/core/chat';
import { FakeModel } from './fake-model';
import { trapNetwork } from './network-trap';

describe('extension/core: no network on the chat path', () => {
  it('the trap itself catches an attempt (so the real assertion can fail)', () => {
    const trap = trapNetwork();
    try {
      assert.throws(() => http.get('http://127.0.0.1:9/'), /network access attempted/);
      assert.throws(() => fetch('https://example.com'), /network access attempted/);
      assert.equal(trap.attempts.length, 2);
    } finally {
      trap.restore();
    }
  });

  it('asks, follows up and summarizes with every outbound connection trapped, and none is attempted', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'se-offline-'));
    try {
      fs.writeFileSync(path.join(root, 'README.md'), '# Offline\nSee https://example.com/docs and http://127.0.0.1:8080 for more.\n');
      fs.mkdirSync(path.join(root, 'src'));
      for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(root, 'src', `m${i}.ts`), `import x from 'https://cdn.example.com/x${i}.js';\nexport const v${i} = fetch('https://api.example.com/${i}');\n`.repeat(20));
      const model = new FakeModel(512, 8192);
      const s = normalizeSettings({ ...DEFAULT_SETTINGS, maxNewTokens: 32, selfExtend: { ...DEFAULT_SETTINGS.selfExtend, targetContext: 4096 } });
      const trap = trapNetwork();
      try {
        const chat = new ChatSession({ model, source: new NodeFileSource(root), settings: () => s });
        const r1 = await chat.ask({ question: 'Which URLs does m3 fetch?', editor: { activeFile: 'src/m3.ts' } });
        const r2 = await chat.ask({ question: 'And the README?' });
        const sum = await summarizeText(model, s, { text: fs.readFileSync(path.join(root, 'src', 'm1.ts'), 'utf8'), label: 'src/m1.ts', relPath: 'src/m1.ts' });
        assert.ok(r1.files.length > 0 && r2.answer && sum.summary);
      } finally {
        trap.restore();
      }
      assert.deepEqual(trap.attempts, []);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
