import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { contributedProperties, readSettings, SETTINGS_SCHEMA } from '../../../extension/vscode/settings-schema';

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
    assert.deepEqual(names, ['askWorkspace', 'downloadModel', 'newChat', 'openChatPanel', 'selectModel', 'showStatus', 'stop', 'summarizeFile', 'summarizeSelection'].map((c) => `selfextend.${c}`));
  });
  it('reads defaults when nothing is set', () => {
    const s = readSettings(() => undefined);
    assert.equal(s.groupSize, 0);
    assert.equal(s.neighborWindow, SETTINGS_SCHEMA.neighborWindow.default);
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
