import * as assert from 'node:assert/strict';
import { openDevice, describeDevice, type GpuContext } from '../gpu/device/gpu-device';

describe('WebGPU device (Dawn)', () => {
  let ctx: GpuContext;
  before(async () => {
    ctx = await openDevice();
  });
  after(() => ctx?.device.destroy());

  it('reports the adapter limits and optional features it got', () => {
    const d = describeDevice(ctx.info);
    assert.match(d, /max storage binding \d+ MiB/);
    assert.ok(ctx.info.limits.maxStorageBufferBindingSize >= 128 * 2 ** 20);
    assert.equal(typeof ctx.info.features.shaderF16, 'boolean');
  });

  it('runs a real compute kernel and reads back the result', async () => {
    const { device } = ctx;
    const n = 1000; // not a multiple of the workgroup size
    const a = new Float32Array(n).map((_, i) => i * 0.5);
    const b = new Float32Array(n).map((_, i) => 3 - i);
    const code = /* wgsl */ `
      @group(0) @binding(0) var<storage, read> a: array<f32>;
      @group(0) @binding(1) var<storage, read> b: array<f32>;
      @group(0) @binding(2) var<storage, read_write> c: array<f32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x < arrayLength(&c)) { c[id.x] = a[id.x] * b[id.x] + 1.0; }
      }`;
    const mk = (data: Float32Array, usage: number): GPUBuffer => {
      const buf = device.createBuffer({ size: data.byteLength, usage, mappedAtCreation: true });
      new Float32Array(buf.getMappedRange()).set(data);
      buf.unmap();
      return buf;
    };
    const ba = mk(a, GPUBufferUsage.STORAGE);
    const bb = mk(b, GPUBufferUsage.STORAGE);
    const bc = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const rd = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [ba, bb, bc].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(Math.ceil(n / 64));
    pass.end();
    enc.copyBufferToBuffer(bc, 0, rd, 0, n * 4);
    device.queue.submit([enc.finish()]);
    await rd.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(rd.getMappedRange().slice(0));
    rd.unmap();
    for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround(Math.fround(a[i] * b[i]) + 1));
  });
});
