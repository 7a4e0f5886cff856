import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS, normalizeSettings, readSettings, SETTINGS_TABLE, type NumberSetting, type SettingSpec } from '../../../extension/core/chat/settings';
import { settingsFromFlags } from '../../../cli/commands/ask';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: { properties: Record<string, Record<string, unknown>> } } };
const rows = Object.entries(SETTINGS_TABLE) as [string, SettingSpec][];
const numeric = rows.filter((r): r is [string, NumberSetting] => r[1].kind === 'integer' || r[1].kind === 'number');

describe('extension/core settings table (one table for the extension and the CLI)', () => {
  it("package.json's contributed configuration has exactly the table's names, kinds, defaults and ranges", () => {
    const props = pkg.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), rows.map(([k]) => `selfextend.${k}`).sort());
    for (const [k, spec] of rows) {
      const p = props[`selfextend.${k}`]!;
      assert.deepEqual(p.default, spec.default, k);
      assert.equal(p.markdownDescription, spec.description, k);
      const type = { integer: 'integer', number: 'number', string: 'string', boolean: 'boolean', 'string[]': 'array', enum: 'string' }[spec.kind];
      assert.equal(p.type, type, k);
      if (spec.kind === 'integer' || spec.kind === 'number') assert.deepEqual([p.minimum, p.maximum], [spec.minimum, spec.maximum], k);
      if (spec.kind === 'enum') assert.deepEqual(p.enum, [...spec.values], k);
    }
  });

  it('the core defaults are the table defaults', () => {
    assert.deepEqual(normalizeSettings({}), DEFAULT_SETTINGS);
    assert.equal(DEFAULT_SETTINGS.selfExtend.targetContext, SETTINGS_TABLE.targetContext.default);
    assert.equal(DEFAULT_SETTINGS.maxNewTokens, SETTINGS_TABLE.maxNewTokens.default);
    assert.equal(DEFAULT_SETTINGS.maxFileSize, SETTINGS_TABLE.maxFileSize.default);
  });

  it('normalizeSettings (core) and readSettings (VS Code) clamp to the same range', () => {
    for (const [k, spec] of numeric) {
      for (const v of [spec.minimum - 1, spec.maximum + 1, spec.maximum * 4]) {
        const flat = readSettings((name) => (name === k ? v : undefined)) as unknown as Record<string, number>;
        assert.ok(flat[k]! >= spec.minimum && flat[k]! <= spec.maximum, `${k}=${v}`);
      }
    }
    const n = normalizeSettings({ maxNewTokens: 1e9, maxFileSize: 1, selfExtend: { neighborWindow: 1e9, targetContext: 1, groupSize: 1000 } });
    assert.equal(n.maxNewTokens, SETTINGS_TABLE.maxNewTokens.maximum);
    assert.equal(n.maxFileSize, SETTINGS_TABLE.maxFileSize.minimum);
    assert.equal(n.selfExtend.neighborWindow, SETTINGS_TABLE.neighborWindow.maximum);
    assert.equal(n.selfExtend.targetContext, SETTINGS_TABLE.targetContext.minimum);
    assert.equal(n.selfExtend.groupSize, SETTINGS_TABLE.groupSize.maximum);
  });

  it("the CLI refuses what the table's range excludes and accepts its edges", () => {
    const t = SETTINGS_TABLE;
    assert.throws(() => settingsFromFlags({ group: String(t.groupSize.maximum + 1) }), new RegExp(`between 1 and ${t.groupSize.maximum}`));
    assert.equal(settingsFromFlags({ group: String(t.groupSize.maximum) }).selfExtend.groupSize, t.groupSize.maximum);
    assert.throws(() => settingsFromFlags({ target: String(t.targetContext.maximum + 1) }), new RegExp(`between ${t.targetContext.minimum} and ${t.targetContext.maximum}`));
    assert.throws(() => settingsFromFlags({ target: String(t.targetContext.minimum - 1) }), /--target/);
    assert.equal(settingsFromFlags({ target: String(t.targetContext.maximum) }).selfExtend.targetContext, t.targetContext.maximum);
    assert.throws(() => settingsFromFlags({ n: String(t.maxNewTokens.maximum + 1) }), /-n must be between/);
    assert.throws(() => settingsFromFlags({ temperature: String(t.temperature.maximum + 0.5) }), /--temperature must be between/);
    assert.throws(() => settingsFromFlags({ 'top-p': '1.5' }), /--top-p must be between/);
    assert.throws(() => settingsFromFlags({ group: '4', window: String(t.neighborWindow.maximum + 4) }), /--window must be between/);
  });
});
