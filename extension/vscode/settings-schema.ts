// The extension's settings, described once. package.json's contributes.configuration must match this
// (a test compares them), and readSettings uses the same defaults and ranges to clamp what users type
// into settings.json, where VS Code does not enforce min/max.

import { DEFAULT_SETTINGS, normalizeSettings, type AssistantSettings } from '../core/chat/settings';
import { KV_CACHE_TYPES, type KvCacheType } from '../../gpu/attention/kv-layout';

export type PowerPreferenceSetting = 'high-performance' | 'low-power';

export interface ExtensionSettings {
  modelPath: string;
  enabled: boolean;
  /** 0 = choose automatically from targetContext. */
  groupSize: number;
  neighborWindow: number;
  targetContext: number;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  include: string[];
  exclude: string[];
  maxFileSize: number;
  gpuPowerPreference: PowerPreferenceSetting;
  kvCacheType: KvCacheType;
}

type NumberSpec = { kind: 'integer' | 'number'; default: number; minimum: number; maximum: number; description: string };
type Spec =
  | NumberSpec
  | { kind: 'string'; default: string; description: string }
  | { kind: 'boolean'; default: boolean; description: string }
  | { kind: 'string[]'; default: string[]; description: string }
  | { kind: 'enum'; default: string; values: readonly string[]; enumDescriptions?: string[]; description: string };

export const SETTINGS_SECTION = 'selfextend';

// Defaults come from the core, so the CLI and the extension cannot drift apart.
const D = DEFAULT_SETTINGS;

export const SETTINGS_SCHEMA: { readonly [K in keyof ExtensionSettings]: Spec } = {
  modelPath: { kind: 'string', default: D.modelPath, description: "Path to a GGUF model file (llama, qwen2/qwen3 architectures). Empty: the chat view offers to pick or download one; its model bar and **SelfExtend: Select Model…** set this for you.\n\nThis is a *machine* setting (scope `machine-overridable`): the model file lives on the machine that runs the extension, so in a remote window (SSH, WSL, containers, code-server) it is listed under the **Remote** tab of the Settings editor, not under User. A workspace's settings may override it." },
  enabled: { kind: 'boolean', default: D.selfExtend.enabled, description: "Use SelfExtend to stretch the model's trained context window **L** (the number of tokens it was trained on, read from the model file). Off: plain attention, limited to L tokens. The model itself is set in `#selfextend.modelPath#` (under the Remote tab in remote windows)." },
  groupSize: { kind: 'integer', default: D.selfExtend.groupSize, minimum: 0, maximum: 64, description: "SelfExtend group size **G**, from 0 to 64. Tokens farther away than the neighbour window W share positions in groups of G, which stretches the window to (L − W) × G + W tokens (L: the model's trained window).\n\nA larger G reaches further but blurs the order of distant text more (answers about far-away code get less precise); it costs no extra memory or time by itself — a longer prompt does.\n\n**0 (default): automatic** — the smallest G that reaches `#selfextend.targetContext#`. The G in use is shown on each answer's context meter (\"group size G=…\") and by **SelfExtend: Show Engine Status**. Takes effect on the next request." },
  neighborWindow: { kind: 'integer', default: D.selfExtend.neighborWindow, minimum: 0, maximum: 32768, description: "SelfExtend neighbour window **W** in tokens, from 0 to 32768: the nearest W tokens keep their exact positions. 0 (default) picks a quarter of the trained window L, rounded to a multiple of G. Otherwise it must be a multiple of the group size and below L. Takes effect on the next request." },
  targetContext: { kind: 'integer', default: D.selfExtend.targetContext, minimum: 512, maximum: 131072, description: "Tokens of repository context to aim for (512–131072). With group size 0 the extension picks the smallest G so that (L − W) × G + W reaches this (L: the model's trained window, W: the neighbour window). More context means a longer first wait (the prompt is read once per chat, then cached)." },
  maxNewTokens: { kind: 'integer', default: D.maxNewTokens, minimum: 1, maximum: 16384, description: 'Maximum tokens generated per answer.' },
  temperature: { kind: 'number', default: D.temperature, minimum: 0, maximum: 2, description: 'Sampling temperature; 0 always picks the most likely token (greedy).' },
  topP: { kind: 'number', default: D.topP, minimum: 0, maximum: 1, description: 'Nucleus sampling: sample only from the most likely tokens whose probabilities add up to this; 0 keeps only the most likely token (greedy).' },
  include: { kind: 'string[]', default: D.include, description: 'Glob patterns of workspace files to consider (empty: all files). Matched against workspace-relative paths.' },
  exclude: { kind: 'string[]', default: D.exclude, description: 'Glob patterns of workspace files to leave out, in addition to files.exclude, search.exclude and .gitignore.' },
  maxFileSize: { kind: 'integer', default: D.maxFileSize, minimum: 1024, maximum: 67108864, description: 'Files larger than this many bytes are not read into the context.' },
  gpuPowerPreference: { kind: 'enum', default: D.powerPreference, values: ['high-performance', 'low-power'], description: 'Which GPU to ask WebGPU for on machines with more than one. Applies when the model is next loaded.' },
  kvCacheType: {
    kind: 'enum',
    default: D.kvCacheType,
    values: KV_CACHE_TYPES,
    enumDescriptions: [
      '16-bit floats (default).',
      '8-bit blocks with a scale per 32 values: about half the KV-cache memory of f16, so about twice the context fits; answers may differ slightly.',
      '32-bit floats: twice the memory of f16 (for testing).',
    ],
    description:
      'How the KV cache (the model\'s memory of the prompt, the largest GPU buffer at long context) is stored. **q8_0** needs about half the memory of **f16**: use it when a long repository context does not fit your GPU. Applies when the model is next loaded.',
  },
};

export type SettingsGetter = (key: keyof ExtensionSettings) => unknown;

function clampNumber(spec: NumberSpec, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return spec.default;
  const n = spec.kind === 'integer' ? Math.round(v) : v;
  return Math.min(spec.maximum, Math.max(spec.minimum, n));
}

/** Typed, clamped settings from raw configuration values (wrong types fall back to defaults). */
export function readSettings(get: SettingsGetter): ExtensionSettings {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS_SCHEMA) as [keyof ExtensionSettings, Spec][]) {
    const v = get(key);
    switch (spec.kind) {
      case 'integer':
      case 'number':
        out[key] = clampNumber(spec, v);
        break;
      case 'string':
        out[key] = typeof v === 'string' ? v.trim() : spec.default;
        break;
      case 'boolean':
        out[key] = typeof v === 'boolean' ? v : spec.default;
        break;
      case 'string[]':
        out[key] = Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '') : [...spec.default];
        break;
      case 'enum':
        out[key] = typeof v === 'string' && spec.values.includes(v) ? v : spec.default;
        break;
    }
  }
  return out as unknown as ExtensionSettings;
}

/** The JSON schema VS Code expects under contributes.configuration.properties. */
export function contributedProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  let order = 0;
  for (const [key, spec] of Object.entries(SETTINGS_SCHEMA) as [string, Spec][]) {
    const p: Record<string, unknown> = { order: order++, markdownDescription: spec.description, default: spec.default };
    switch (spec.kind) {
      case 'integer':
      case 'number':
        Object.assign(p, { type: spec.kind, minimum: spec.minimum, maximum: spec.maximum });
        break;
      case 'string':
        Object.assign(p, { type: 'string', scope: 'machine-overridable' });
        break;
      case 'boolean':
        p.type = 'boolean';
        break;
      case 'string[]':
        Object.assign(p, { type: 'array', items: { type: 'string' } });
        break;
      case 'enum':
        Object.assign(p, { type: 'string', enum: spec.values, ...(spec.enumDescriptions ? { enumDescriptions: spec.enumDescriptions } : {}) });
        break;
    }
    props[`${SETTINGS_SECTION}.${key}`] = p;
  }
  return props;
}

/** The core's settings type, which the assistant reads afresh for every request. */
export function toAssistantSettings(s: ExtensionSettings): AssistantSettings {
  return normalizeSettings({
    modelPath: s.modelPath,
    selfExtend: { enabled: s.enabled, groupSize: s.groupSize, neighborWindow: s.neighborWindow, targetContext: s.targetContext },
    maxNewTokens: s.maxNewTokens,
    temperature: s.temperature,
    topP: s.topP,
    include: s.include,
    exclude: s.exclude,
    maxFileSize: s.maxFileSize,
    powerPreference: s.gpuPowerPreference,
    kvCacheType: s.kvCacheType,
  });
}
