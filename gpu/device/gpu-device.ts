// Opens a WebGPU device with the adapter's real limits and the optional features we can use.
import { loadDawn } from './dawn';
import { DeviceRequestError, NoAdapterError } from './errors';

export { DeviceRequestError, NoAdapterError };

export type PowerPreference = 'high-performance' | 'low-power';

export interface DeviceOptions {
  powerPreference?: PowerPreference;
  /** Skip optional features even when offered (tests use this to exercise the f32 fallbacks). */
  disableFeatures?: Array<'shader-f16' | 'subgroups'>;
  /** Extra Dawn toggles/options passed to `create`, e.g. `enable-dawn-features=...`. */
  dawnOptions?: string[];
}

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software rasterizers (lavapipe, SwiftShader): useful to warn users about speed. */
  isSoftware: boolean;
  features: { shaderF16: boolean; subgroups: boolean; timestampQuery: boolean };
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupSizeX: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export interface GpuContext {
  device: GPUDevice;
  info: DeviceInfo;
  /** Resolves when the device is lost (destroy(), driver reset, OOM kill). */
  lost: Promise<GPUDeviceLostInfo>;
}


let gpuSingleton: GPU | undefined;

function gpu(options: string[]): GPU {
  if (!gpuSingleton) gpuSingleton = loadDawn().create(options);
  return gpuSingleton;
}

export async function openDevice(opts: DeviceOptions = {}): Promise<GpuContext> {
  const g = gpu(opts.dawnOptions ?? []);
  let adapter: GPUAdapter | null;
  try {
    adapter = await g.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new NoAdapterError(e instanceof Error ? e.message : String(e));
  }
  if (!adapter) throw new NoAdapterError('requestAdapter returned null');

  const disabled = new Set(opts.disableFeatures ?? []);
  const wanted: GPUFeatureName[] = [];
  const has = (f: string): boolean => adapter!.features.has(f);
  if (has('shader-f16') && !disabled.has('shader-f16')) wanted.push('shader-f16');
  if (has('subgroups') && !disabled.has('subgroups')) wanted.push('subgroups' as GPUFeatureName);
  if (has('timestamp-query')) wanted.push('timestamp-query');

  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits });
  } catch (e) {
    throw new DeviceRequestError(e);
  }
  const ai = adapter.info;
  const description = [ai.vendor, ai.architecture, ai.device, ai.description].filter(Boolean).join(' ');
  const l = device.limits;
  const info: DeviceInfo = {
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device: ai.device ?? '',
    description,
    isSoftware: /llvmpipe|lavapipe|swiftshader|software/i.test(description),
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  };
  return { device, info, lost: device.lost };
}

export function describeDevice(info: DeviceInfo): string {
  const f = info.features;
  return (
    `${info.description || 'unknown adapter'}${info.isSoftware ? ' (software)' : ''}; ` +
    `shader-f16: ${f.shaderF16 ? 'yes' : 'no'}, subgroups: ${f.subgroups ? 'yes' : 'no'}; ` +
    `max storage binding ${(info.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB, ` +
    `max buffer ${(info.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB`
  );
}
