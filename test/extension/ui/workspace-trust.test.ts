// Untrusted workspaces: the manifest declares limited support with the model path restricted (VS Code
// ignores a workspace's own value for it in Restricted Mode), and the chat view says in words what is limited
// and why, naming the workspace's ignored model path; nothing is said in a trusted workspace.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatController } from '../../../extension/vscode/chat-controller';
import type { AnswerBackend } from '../../../extension/vscode/answer-backend';
import { initialState, reduce } from '../../../webview/chat-state';
import { installFakeVscode } from './fake-vscode';

type TrustModule = typeof import('../../../extension/vscode/workspace-trust');

describe('extension/vscode: untrusted workspaces (Restricted Mode)', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  let uninstall: () => void = () => undefined;
  let trust: TrustModule;
  const fake = { trusted: false, workspaceModelPath: undefined as string | undefined };
  before(() => {
    uninstall = installFakeVscode({
      workspace: {
        get isTrusted() { return fake.trusted; },
        getConfiguration: () => ({ inspect: () => ({ defaultValue: '', globalValue: '/home/u/model.gguf', workspaceValue: fake.workspaceModelPath }) }),
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    trust = require('../../../extension/vscode/workspace-trust') as TrustModule;
  });
  after(() => uninstall());

  it('declares limited support, restricting exactly the settings workspace-trust.ts names', () => {
    const u = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(u?.supported, 'limited');
    assert.match(u.description, /selfextend\.modelPath/);
    assert.deepEqual(u.restrictedConfigurations, [...trust.RESTRICTED_SETTINGS]);
    // Each restricted setting exists and is one a workspace could set (else restricting it means nothing).
    for (const key of u.restrictedConfigurations) {
      const prop = manifest.contributes.configuration.properties[key];
      assert.ok(prop, `${key} is not a contributed setting`);
      assert.ok(!['application', 'machine'].includes(prop.scope), `${key} has scope ${prop.scope}: a workspace cannot set it anyway`);
    }
  });

  it('the note says what is limited and why, with the ignored workspace value, and is absent when trusted', () => {
    fake.trusted = false;
    fake.workspaceModelPath = './models/evil.gguf';
    const note = trust.currentRestrictedModeNote()!;
    assert.match(note, /^Restricted Mode: this workspace is not trusted\./);
    assert.match(note, /"\.\/models\/evil\.gguf"; that is ignored until you trust the workspace/);
    assert.match(note, /crafted file/);
    assert.match(note, /user settings/);
    fake.workspaceModelPath = undefined;
    assert.match(trust.currentRestrictedModeNote()!, /selfextend\.modelPath\) would be ignored/);
    fake.trusted = true;
    assert.equal(trust.currentRestrictedModeNote(), undefined);
  });

  it('the chat view state carries the note to the webview, and drops it once trusted', async () => {
    let note: string | undefined = trust.restrictedModeNote(false);
    const backend: AnswerBackend = { answer: async () => assert.fail('no request'), modelInfo: () => undefined, countTokens: (t) => t.length };
    const store = { save: async () => undefined, load: async () => undefined, delete: async () => undefined, list: async () => [], latest: async () => undefined };
    const ctrl = new ChatController({ store, backend, hostAction: () => undefined, curatedModels: [], modelStatus: () => ({ phase: 'ready' }), log: () => undefined, restrictedNote: () => note });
    const untrusted = await ctrl.viewState();
    assert.equal(untrusted.restricted, note);
    const [ui] = reduce(initialState(), { type: 'state', state: untrusted });
    assert.equal(ui.restricted, note);
    note = undefined;
    const trusted = await ctrl.viewState();
    assert.equal('restricted' in trusted, false);
    assert.equal(reduce(ui, { type: 'state', state: trusted })[0].restricted, undefined);
  });
});
