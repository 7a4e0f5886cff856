import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { contributedProperties, readSettings, SETTINGS_TABLE, toAssistantSettings } from '../../../extension/vscode/settings-schema';
import { resolveWindow } from '../../../extension/core/chat/window';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Record<string, unknown>> }; commands: { command: string }[] };
};

describe('extension/vscode settings schema', () => {
  it('package.json contributes exactly the schema (descriptions, defaults, ranges)', () => {
    assert.deepEqual(pkg.contributes.configuration.properties, contributedProperties());
    for (const [key, p] of Object.entries(pkg.contributes.configuration.properties)) {
      assert.ok(typeof p.markdownDescription === 'string' && p.markdownDescription.length > 20, key);
      assert.ok('default' in p, key);
      if (p.type === 'integer' || p.type === 'number') assert.ok(typeof p.minimum === 'number' && typeof p.maximum === 'number', key);
    }
    for (const k of ['modelPath', 'enabled', 'groupSize', 'neighborWindow', 'targetContext', 'maxNewTokens', 'temperature', 'topP', 'include', 'exclude', 'maxFileSize', 'gpuPowerPreference'])
      assert.ok(`selfextend.${k}` in pkg.contributes.configuration.properties, k);
  });
  it('declares every command the brief names', () => {
    const names = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(names, ['askAboutSelection', 'askWorkspace', 'downloadModel', 'focusChat', 'newChat', 'openChatPanel', 'selectModel', 'showStatus', 'stop', 'summarizeFile', 'summarizeSelection'].map((c) => `selfextend.${c}`));
  });
  it('reads defaults when nothing is set', () => {
    const s = readSettings(() => undefined);
    assert.equal(s.groupSize, 0);
    assert.equal(s.neighborWindow, SETTINGS_TABLE.neighborWindow.default);
    assert.equal(s.enabled, true);
    assert.deepEqual(s.include, []);
    assert.equal(s.gpuPowerPreference, 'high-performance');
  });
  it('clamps out-of-range numbers, rounds integers and rejects wrong types', () => {
    const raw: Record<string, unknown> = { groupSize: 1000, neighborWindow: 100.6, temperature: -1, topP: 'x', maxNewTokens: Number.NaN, modelPath: '  /m/a.gguf ', enabled: 'yes', include: ['src/**', 3, ''], gpuPowerPreference: 'max' };
    const s = readSettings((k) => raw[k]);
    assert.equal(s.groupSize, 64);
    assert.equal(s.neighborWindow, 101);
    assert.equal(s.temperature, 0);
    assert.equal(s.topP, 0.95);
    assert.equal(s.maxNewTokens, 1024);
    assert.equal(s.modelPath, '/m/a.gguf');
    assert.equal(s.enabled, true);
    assert.deepEqual(s.include, ['src/**']);
    assert.equal(s.gpuPowerPreference, 'high-performance');
  });
});

describe('extension/vscode settings → assistant settings (G/W per request)', () => {
  it('maps every field, groupSize 0 = automatic from the target context', () => {
    const read = readSettings;
    const raw: Record<string, unknown> = { modelPath: '/m.gguf', groupSize: 0, neighborWindow: 0, targetContext: 8192, gpuPowerPreference: 'low-power', include: ['src/**'] };
    const a = toAssistantSettings(read((k) => raw[k]));
    assert.equal(a.modelPath, '/m.gguf');
    assert.equal(a.powerPreference, 'low-power');
    assert.deepEqual(a.include, ['src/**']);
    assert.deepEqual(a.selfExtend, { enabled: true, groupSize: 0, neighborWindow: 0, targetContext: 8192 });
    const w = resolveWindow(a.selfExtend, 2048, 32768);
    assert.ok(w.groupSize > 1, 'automatic G extends a 2K model towards 8K');
    assert.ok(w.reachable >= 8192 || w.window === w.reachable);
    assert.equal(w.neighborWindow % w.groupSize, 0);
  });
  it('an explicit G/W is used as given and a changed setting changes the next window', () => {
    const read = readSettings;
    const raw: Record<string, unknown> = { groupSize: 4, neighborWindow: 512 };
    const w4 = resolveWindow(toAssistantSettings(read((k) => raw[k])).selfExtend, 2048, 1 << 20);
    assert.deepEqual([w4.groupSize, w4.neighborWindow, w4.reachable], [4, 512, (2048 - 512) * 4 + 512]);
    raw.groupSize = 8;
    const w8 = resolveWindow(toAssistantSettings(read((k) => raw[k])).selfExtend, 2048, 1 << 20);
    assert.deepEqual([w8.groupSize, w8.reachable], [8, (2048 - 512) * 8 + 512]);
    raw.enabled = false;
    assert.equal(resolveWindow(toAssistantSettings(read((k) => raw[k])).selfExtend, 2048, 1 << 20).groupSize, 1);
  });
  it('an invalid explicit pair gives an actionable error', () => {
    const read = readSettings;
    const raw: Record<string, unknown> = { groupSize: 3, neighborWindow: 512 };
    assert.throws(() => resolveWindow(toAssistantSettings(read((k) => raw[k])).selfExtend, 2048, 1 << 20), /multiple|W|G/);
  });
});
