// Backend choice with fake probes: what `auto` picks and skips, and the errors of explicit requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendName } from '../../../src/protocol/config';
import { BackendUnavailable } from '../../../src/trainer/engine/backendUnavailable';
import type { BackendOffer, EngineProbes } from '../../../src/trainer/engine/offers';
import { parseBackend } from '../../../src/trainer/engine/parseBackend';
import { selectBackend } from '../../../src/trainer/engine/selectBackend';

interface Fake { probes: EngineProbes; activated: BackendName[]; released: BackendName[] }

/** Probes that offer the given backends (or reject with the given reason) and record what was switched on. */
function fakeMachine(spec: Partial<Record<BackendName, Partial<BackendOffer> | string>>): Fake {
  const activated: BackendName[] = [];
  const released: BackendName[] = [];
  const probe = (backend: BackendName) => async (): Promise<BackendOffer> => {
    const s = spec[backend];
    if (s === undefined) throw new BackendUnavailable(backend, `${backend} not on this fake machine`);
    if (typeof s === 'string') throw new BackendUnavailable(backend, s);
    return {
      backend, provider: backend, device: `fake ${backend}`, software: false,
      activate: async () => void activated.push(backend),
      release: () => void released.push(backend),
      ...s,
    };
  };
  return {
    probes: { tensorflow: probe('tensorflow'), webgpu: probe('webgpu'), wasm: probe('wasm'), cpu: probe('cpu') },
    activated, released,
  };
}

const CPU = { software: true, device: 'CPU, plain JavaScript' };

test('parseBackend accepts the five names and rejects others, listing the valid ones', () => {
  for (const name of ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']) assert.equal(parseBackend(name), name);
  assert.equal(parseBackend(' WebGPU '), 'webgpu');
  assert.throws(() => parseBackend('cuda'), {
    message: 'Unknown backend "cuda". Valid backends: auto, tensorflow, webgpu, wasm, cpu.',
  });
  assert.throws(() => parseBackend(''), /Valid backends: auto, tensorflow, webgpu, wasm, cpu/);
});

test('auto prefers tensorflow, then a hardware webgpu adapter, then wasm', async () => {
  const all = fakeMachine({ tensorflow: { provider: 'tfjs-node-gpu', device: 'NVIDIA H100 (CUDA, tfjs-node-gpu)' }, webgpu: {}, wasm: {}, cpu: CPU });
  const info = await selectBackend('auto', all.probes);
  assert.deepEqual(all.activated, ['tensorflow']);
  assert.equal(info.backend, 'tensorflow');
  assert.equal(info.provider, 'tfjs-node-gpu');
  assert.equal(info.device, 'NVIDIA H100 (CUDA, tfjs-node-gpu)');
  assert.equal(info.software, false);
  assert.deepEqual(info.skipped.map((s) => s.backend), ['webgpu', 'wasm', 'cpu']);

  const gpu = fakeMachine({ tensorflow: 'neither package is installed', webgpu: { device: 'NVIDIA H100 (Vulkan)' }, wasm: {}, cpu: CPU });
  const info2 = await selectBackend('auto', gpu.probes);
  assert.equal(info2.backend, 'webgpu');
  assert.equal(info2.device, 'NVIDIA H100 (Vulkan)');
  assert.deepEqual(info2.skipped.find((s) => s.backend === 'tensorflow'), { backend: 'tensorflow', reason: 'neither package is installed' });
});

test('auto never picks a software webgpu adapter or cpu, and says why', async () => {
  const m = fakeMachine({
    tensorflow: 'not installed', webgpu: { software: true, device: 'llvmpipe (software)' },
    wasm: { software: true, device: 'CPU, wasm SIMD, 2 threads' }, cpu: CPU,
  });
  const lines: string[] = [];
  const info = await selectBackend('auto', m.probes, { log: (l) => lines.push(l) });
  assert.deepEqual(m.activated, ['wasm']);
  assert.deepEqual(m.released, ['webgpu'], 'the unused Dawn instance is released');
  assert.equal(info.backend, 'wasm');
  const reasons = Object.fromEntries(info.skipped.map((s) => [s.backend, s.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['cpu', 'tensorflow', 'webgpu']);
  assert.match(reasons.webgpu, /software adapter \(llvmpipe \(software\)\)/);
  assert.match(reasons.cpu, /only when asked/);
  assert.ok(lines.some((l) => l.includes('skipped webgpu')));
  assert.ok(lines.at(-1)!.includes('engine: wasm'));
});

test('auto uses a software adapter only with allowSoftware', async () => {
  const m = fakeMachine({ webgpu: { software: true }, wasm: {}, cpu: CPU });
  const info = await selectBackend('auto', m.probes, { allowSoftware: true });
  assert.equal(info.backend, 'webgpu');
  assert.equal(info.software, true);
});

test('auto moves on when a backend fails to start, and fails with every reason when nothing can run', async () => {
  const m = fakeMachine({ webgpu: { activate: async () => { throw new Error('device lost\nstack...'); } }, wasm: {}, cpu: CPU });
  const info = await selectBackend('auto', m.probes);
  assert.equal(info.backend, 'wasm');
  assert.match(info.skipped.find((s) => s.backend === 'webgpu')!.reason, /^failed to start on fake webgpu: device lost$/);

  const none = fakeMachine({ cpu: CPU });
  await assert.rejects(selectBackend('auto', none.probes), (err: Error) => {
    assert.match(err.message, /^No backend can train here: tensorflow: .*; webgpu: .*; wasm: .*; cpu: .*only when asked/);
    return true;
  });
  assert.deepEqual(none.activated, [], 'cpu is never a silent fallback');
});

test('an explicit backend is used even when software, with no fallback when it is unavailable', async () => {
  const m = fakeMachine({ webgpu: { software: true, device: 'llvmpipe (software)' }, wasm: {}, cpu: CPU });
  const info = await selectBackend('webgpu', m.probes);
  assert.equal(info.backend, 'webgpu');
  assert.deepEqual(info.skipped.map((s) => s.reason), Array(3).fill('not requested (--backend webgpu)'));

  const cpu = await selectBackend('cpu', m.probes, { threads: 3 });
  assert.equal(cpu.backend, 'cpu');

  const missing = fakeMachine({ wasm: {}, tensorflow: 'tfjs-node-gpu: libcudart.so.11.0 not found by the dynamic linker' });
  await assert.rejects(selectBackend('tensorflow', missing.probes), {
    message: 'The tensorflow backend is unavailable: tfjs-node-gpu: libcudart.so.11.0 not found by the dynamic linker',
  });
  await assert.rejects(selectBackend('webgpu', missing.probes), { message: 'The webgpu backend is unavailable: webgpu not on this fake machine' });
  assert.deepEqual(missing.activated, [], 'no silent fallback to wasm');

  const broken = fakeMachine({ webgpu: { activate: async () => { throw new Error('requestDevice failed'); } } });
  await assert.rejects(selectBackend('webgpu', broken.probes), {
    message: 'The webgpu backend failed to start on fake webgpu: requestDevice failed',
  });
  assert.deepEqual(broken.released, ['webgpu']);
});

test('EngineInfo carries the device and thread count the backend reports once running', async () => {
  const m = fakeMachine({ wasm: { software: true, device: 'CPU, wasm SIMD, 8 threads', activate: async () => ({ device: 'CPU, wasm SIMD, 1 thread', threads: 1 }) } });
  const info = await selectBackend('wasm', m.probes, { threads: 8 });
  assert.deepEqual(info, {
    backend: 'wasm', device: 'CPU, wasm SIMD, 1 thread', provider: 'wasm', software: true, threads: 1,
    skipped: ['tensorflow', 'webgpu', 'cpu'].map((b) => ({ backend: b, reason: 'not requested (--backend wasm)' })),
  });
});
