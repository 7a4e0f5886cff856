// The settings, described once: names, kinds, defaults, ranges and the text users read. The VS Code
// side contributes exactly this table (package.json is checked against it) and reads configuration
// through `readSettings`; the CLI takes its flag ranges from the same table. Hosts map their raw values
// to `AssistantSettings`, which the core reads afresh for every request, so G/W changes apply without
// reloading the model.
import type { PowerPreference } from '../../../gpu/device/gpu-device';
import type { KvCacheType } from '../../../gpu/attention/kv-layout';

export interface SelfExtendSettings {
  /** false: plain attention within the trained window. */
  enabled: boolean;
  /** G. 0 = automatic: the smallest G whose reach covers targetContext. */
  groupSize: number;
  /** W, the neighbour window. 0 = default for the chosen G (a quarter of the trained window, a multiple of G). */
  neighborWindow: number;
  /** Tokens the prompt + answer may use when G is automatic. */
  targetContext: number;
}

export interface AssistantSettings {
  modelPath: string;
  selfExtend: SelfExtendSettings;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  include: string[];
  exclude: string[];
  /** Bytes; larger files are skipped when reading the repository. */
  maxFileSize: number;
  powerPreference: PowerPreference;
  /** Element type of the KV cache ('q8_0': about half the memory of 'f16'); applies when the model is next loaded. */
  kvCacheType: KvCacheType;
}

export type PowerPreferenceSetting = PowerPreference;

/** One row of the table. Numbers carry their range; the same range clamps hand-edited values and bounds CLI flags. */
export type NumberSetting = { kind: 'integer' | 'number'; default: number; minimum: number; maximum: number; description: string };
export type SettingSpec =
  | NumberSetting
  | { kind: 'string'; default: string; description: string; scope?: 'machine-overridable' }
  | { kind: 'boolean'; default: boolean; description: string }
  | { kind: 'string[]'; default: readonly string[]; description: string }
  | { kind: 'enum'; default: string; values: readonly string[]; enumDescriptions?: readonly string[]; description: string };

/** The settings by their user-facing names (VS Code: `selfextend.<name>`), flat as users see them. */
export interface SettingValues {
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

export const SETTINGS_SECTION = 'selfextend';

/** The one settings table. Order here is the order the Settings editor shows. */
export const SETTINGS_TABLE = {
  modelPath: { kind: 'string', default: '', scope: 'machine-overridable', description: "Path to a GGUF model file (llama, qwen2/qwen3 architectures). Empty: the chat view offers to pick or download one; its model bar and **SelfExtend: Select Model…** set this for you.\n\nThis is a *machine* setting (scope `machine-overridable`): the model file lives on the machine that runs the extension, so in a remote window (SSH, WSL, containers, code-server) it is listed under the **Remote** tab of the Settings editor, not under User. A workspace's settings may override it." },
  enabled: { kind: 'boolean', default: true, description: "Use SelfExtend to stretch the model's trained context window **L** (the number of tokens it was trained on, read from the model file). Off: plain attention, limited to L tokens. The model itself is set in `#selfextend.modelPath#` (under the Remote tab in remote windows)." },
  groupSize: { kind: 'integer', default: 0, minimum: 0, maximum: 64, description: "SelfExtend group size **G**, from 0 to 64. Tokens farther away than the neighbour window W share positions in groups of G, which stretches the window to (L − W) × G + W tokens (L: the model's trained window).\n\nA larger G reaches further but blurs the order of distant text more (answers about far-away code get less precise); it costs no extra memory or time by itself — a longer prompt does.\n\n**0 (default): automatic** — the smallest G that reaches `#selfextend.targetContext#`. The G in use is shown on each answer's context meter (\"group size G=…\") and by **SelfExtend: Show Engine Status**. Takes effect on the next request." },
  neighborWindow: { kind: 'integer', default: 0, minimum: 0, maximum: 32768, description: "SelfExtend neighbour window **W** in tokens, from 0 to 32768: the nearest W tokens keep their exact positions. 0 (default) picks a quarter of the trained window L, rounded to a multiple of G. Otherwise it must be a multiple of the group size and below L. Takes effect on the next request." },
  targetContext: { kind: 'integer', default: 16384, minimum: 512, maximum: 131072, description: "Tokens of repository context to aim for (512–131072). With group size 0 the extension picks the smallest G so that (L − W) × G + W reaches this (L: the model's trained window, W: the neighbour window). More context means a longer first wait (the prompt is read once per chat, then cached)." },
  maxNewTokens: { kind: 'integer', default: 1024, minimum: 1, maximum: 16384, description: 'Maximum tokens generated per answer.' },
  temperature: { kind: 'number', default: 0.2, minimum: 0, maximum: 2, description: 'Sampling temperature; 0 always picks the most likely token (greedy).' },
  topP: { kind: 'number', default: 0.95, minimum: 0, maximum: 1, description: 'Nucleus sampling: sample only from the most likely tokens whose probabilities add up to this; 0 keeps only the most likely token (greedy).' },
  include: { kind: 'string[]', default: [], description: 'Glob patterns of workspace files to consider (empty: all files). Matched against workspace-relative paths.' },
  exclude: { kind: 'string[]', default: [], description: 'Glob patterns of workspace files to leave out, in addition to files.exclude, search.exclude and .gitignore.' },
  maxFileSize: { kind: 'integer', default: 1048576, minimum: 1024, maximum: 67108864, description: 'Files larger than this many bytes are not read into the context.' },
  gpuPowerPreference: { kind: 'enum', default: 'high-performance', values: ['high-performance', 'low-power'], description: 'Which GPU to ask WebGPU for on machines with more than one. Applies when the model is next loaded.' },
  kvCacheType: {
    kind: 'enum',
    default: 'f16',
    values: ['f16', 'q8_0', 'f32'],
    enumDescriptions: [
      '16-bit floats (default).',
      '8-bit blocks with a scale per 32 values: about half the KV-cache memory of f16, so about twice the context fits; answers may differ slightly.',
      '32-bit floats: twice the memory of f16 (for testing).',
    ],
    description:
      "How the KV cache (the model's memory of the prompt, the largest GPU buffer at long context) is stored. **q8_0** needs about half the memory of **f16**: use it when a long repository context does not fit your GPU. Applies when the model is next loaded.",
  },
} as const satisfies { readonly [K in keyof SettingValues]: SettingSpec };

export type SettingName = keyof SettingValues;

/** A number clamped into its row's range (integers rounded); not a finite number: the default. */
export function clampSetting(spec: NumberSetting, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return spec.default;
  const n = spec.kind === 'integer' ? Math.round(v) : v;
  return Math.min(spec.maximum, Math.max(spec.minimum, n));
}

export type SettingsGetter = (key: SettingName) => unknown;

/** Typed, clamped settings from raw configuration values (wrong types fall back to defaults). */
export function readSettings(get: SettingsGetter): SettingValues {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SETTINGS_TABLE) as [SettingName, SettingSpec][]) {
    const v = get(key);
    switch (spec.kind) {
      case 'integer':
      case 'number':
        out[key] = clampSetting(spec, v);
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
        out[key] = typeof v === 'string' && (spec.values as readonly string[]).includes(v) ? v : spec.default;
        break;
    }
  }
  return out as unknown as SettingValues;
}

/** The core's per-request shape of the table's values. */
export function toAssistantSettings(s: SettingValues): AssistantSettings {
  return {
    modelPath: s.modelPath,
    selfExtend: { enabled: s.enabled, groupSize: s.groupSize, neighborWindow: s.neighborWindow, targetContext: s.targetContext },
    maxNewTokens: s.maxNewTokens,
    temperature: s.temperature,
    topP: s.topP,
    include: [...s.include],
    exclude: [...s.exclude],
    maxFileSize: s.maxFileSize,
    powerPreference: s.gpuPowerPreference,
    kvCacheType: s.kvCacheType,
  };
}

const T = SETTINGS_TABLE;

export const DEFAULT_SETTINGS: AssistantSettings = toAssistantSettings(readSettings(() => undefined));

/** Fills gaps and clamps out-of-range values with the table's ranges (settings files are hand-edited). */
export function normalizeSettings(s: Partial<Omit<AssistantSettings, 'selfExtend'>> & { selfExtend?: Partial<SelfExtendSettings> }): AssistantSettings {
  const d = DEFAULT_SETTINGS;
  const se = { ...d.selfExtend, ...(s.selfExtend ?? {}) };
  return toAssistantSettings(
    readSettings((k) => {
      switch (k) {
        case 'modelPath': return s.modelPath ?? d.modelPath;
        case 'enabled': return se.enabled !== false;
        case 'groupSize': return se.groupSize;
        case 'neighborWindow': return se.neighborWindow;
        case 'targetContext': return se.targetContext;
        case 'maxNewTokens': return s.maxNewTokens;
        case 'temperature': return s.temperature;
        case 'topP': return s.topP;
        case 'include': return s.include;
        case 'exclude': return s.exclude;
        case 'maxFileSize': return s.maxFileSize;
        case 'gpuPowerPreference': return s.powerPreference;
        case 'kvCacheType': return s.kvCacheType;
      }
    }),
  );
}

/** The range of a numeric setting, for hosts that refuse out-of-range input instead of clamping it (the CLI). */
export function settingRange(name: { [K in SettingName]: (typeof T)[K] extends NumberSetting ? K : never }[SettingName]): { minimum: number; maximum: number } {
  const spec = T[name] as NumberSetting;
  return { minimum: spec.minimum, maximum: spec.maximum };
}
