// Plain-data settings the hosts map from their configuration (VS Code: contributes.configuration;
// CLI: flags). Read afresh for every request, so G/W changes apply without reloading the model.
import type { PowerPreference } from '../../../gpu/device/gpu-device';
import { KV_CACHE_TYPES, type KvCacheType } from '../../../gpu/attention/kv-layout';

export interface SelfExtendSettings {
  /** false: plain attention within the trained window. */
  enabled: boolean;
  /** G. 0 = automatic: the smallest G whose reach covers targetContext. */
  groupSize: number;
  /** W. 0 = default for the chosen G (a quarter of the trained window, a multiple of G). */
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

export const DEFAULT_SETTINGS: AssistantSettings = {
  modelPath: '',
  selfExtend: { enabled: true, groupSize: 0, neighborWindow: 0, targetContext: 16384 },
  maxNewTokens: 1024,
  temperature: 0.2,
  topP: 0.95,
  include: [],
  exclude: [],
  maxFileSize: 1024 * 1024,
  powerPreference: 'high-performance',
  kvCacheType: 'f16',
};

/** Fills gaps and clamps out-of-range values (settings files are hand-edited). */
export function normalizeSettings(s: Partial<AssistantSettings> & { selfExtend?: Partial<SelfExtendSettings> }): AssistantSettings {
  const d = DEFAULT_SETTINGS;
  const se = { ...d.selfExtend, ...(s.selfExtend ?? {}) };
  const int = (v: number, lo: number, hi: number, def: number): number => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : def);
  const num = (v: number, lo: number, hi: number, def: number): number => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : def);
  return {
    modelPath: s.modelPath ?? d.modelPath,
    selfExtend: {
      enabled: se.enabled !== false,
      groupSize: int(se.groupSize, 0, 64, 0),
      neighborWindow: int(se.neighborWindow, 0, 1 << 20, 0),
      targetContext: int(se.targetContext, 256, 1 << 20, d.selfExtend.targetContext),
    },
    maxNewTokens: int(s.maxNewTokens ?? d.maxNewTokens, 1, 32768, d.maxNewTokens),
    temperature: num(s.temperature ?? d.temperature, 0, 2, d.temperature),
    topP: num(s.topP ?? d.topP, 0, 1, d.topP),
    include: [...(s.include ?? d.include)],
    exclude: [...(s.exclude ?? d.exclude)],
    maxFileSize: int(s.maxFileSize ?? d.maxFileSize, 1, 1 << 30, d.maxFileSize),
    powerPreference: s.powerPreference ?? d.powerPreference,
    kvCacheType: s.kvCacheType !== undefined && KV_CACHE_TYPES.includes(s.kvCacheType) ? s.kvCacheType : d.kvCacheType,
  };
}
