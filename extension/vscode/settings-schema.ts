// VS Code's view of the settings table (extension/core/chat/settings.ts): the JSON schema package.json
// contributes (a test checks package.json against it) and the reader of configuration values, which
// clamps with the table's ranges because VS Code does not enforce min/max in settings.json.

import { SETTINGS_SECTION, SETTINGS_TABLE, type SettingSpec, type SettingValues } from '../core/chat/settings';

export { SETTINGS_SECTION, SETTINGS_TABLE, readSettings, toAssistantSettings, type SettingsGetter, type PowerPreferenceSetting } from '../core/chat/settings';

/** The settings as VS Code holds them: the table's flat names and values. */
export type ExtensionSettings = SettingValues;

/** The JSON schema VS Code expects under contributes.configuration.properties. */
export function contributedProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  let order = 0;
  for (const [key, spec] of Object.entries(SETTINGS_TABLE) as [string, SettingSpec][]) {
    const p: Record<string, unknown> = { order: order++, markdownDescription: spec.description, default: Array.isArray(spec.default) ? [...(spec.default as readonly string[])] : spec.default };
    switch (spec.kind) {
      case 'integer':
      case 'number':
        Object.assign(p, { type: spec.kind, minimum: spec.minimum, maximum: spec.maximum });
        break;
      case 'string':
        Object.assign(p, { type: 'string', ...(spec.scope ? { scope: spec.scope } : {}) });
        break;
      case 'boolean':
        p.type = 'boolean';
        break;
      case 'string[]':
        Object.assign(p, { type: 'array', items: { type: 'string' } });
        break;
      case 'enum':
        Object.assign(p, { type: 'string', enum: [...spec.values], ...(spec.enumDescriptions ? { enumDescriptions: [...spec.enumDescriptions] } : {}) });
        break;
    }
    props[`${SETTINGS_SECTION}.${key}`] = p;
  }
  return props;
}
