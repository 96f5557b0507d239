// Backend choice with fake probes: what `auto` picks and skips, and the errors of explicit requests.
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { BackendName } from '../../../src/protocol/config';
import { BackendUnavailable } from '../../../src/trainer/engine/backendUnavailable';
import type { BackendOffer, EngineProbes } from '../../../src/trainer/engine/offers';
import { parseBackend } from '../../../src/trainer/engine/parseBackend';
import { selectBackend } from '../../../src/trainer/engine/selectBackend';

interface Fake {
  probes: EngineProbes;
  activated: BackendName[];
  released: BackendName[];
}

/** Probes that offer the given backends (or reject with the given reason) and record what was switched on. */
function fakeMachine(spec: Partial<Record<BackendName, Partial<BackendOffer> | string>>): Fake {
  const activated: BackendName[] = [];
  const released: BackendName[] = [];
  const probe = (backend: BackendName) => async (): Promise<BackendOffer> => {
    const s = spec[backend];
    if (s === undefined) throw new BackendUnavailable(backend, `${backend} not on this fake machine`);
    if (typeof s === 'string') throw new BackendUnavailable(backend, s);
    return {
      backend,
      provider: backend,
      device: `fake ${backend}`,
      software: false,
      activate: async () => void activated.push(backend),
      release: () => void released.push(backend),
      ...s,
    };
  };
  return {
    probes: { tensorflow: probe('tensorflow'), webgpu: probe('webgpu'), wasm: probe('wasm'), cpu: probe('cpu') },
    activated,
    released,
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
  const all = fakeMachine({
    tensorflow: { provider: 'tfjs-node-gpu', device: 'NVIDIA H100 (CUDA, tfjs-node-gpu)' },
    webgpu: {},
    wasm: {},
    cpu: CPU,
  });
  const info = await selectBackend('auto', all.probes);
  assert.deepEqual(all.activated, ['tensorflow']);
  assert.equal(info.backend, 'tensorflow');
  assert.equal(info.provider, 'tfjs-node-gpu');
  assert.equal(info.device, 'NVIDIA H100 (CUDA, tfjs-node-gpu)');
  assert.equal(info.software, false);
  assert.deepEqual(
    info.skipped.map((s) => s.backend),
    ['webgpu', 'wasm', 'cpu'],
  );

  const gpu = fakeMachine({
    tensorflow: 'neither package is installed',
    webgpu: { device: 'NVIDIA H100 (Vulkan)' },
    wasm: {},
    cpu: CPU,
  });
  const info2 = await selectBackend('auto', gpu.probes);
  assert.equal(info2.backend, 'webgpu');
  assert.equal(info2.device, 'NVIDIA H100 (Vulkan)');
  assert.deepEqual(
    info2.skipped.find((s) => s.backend === 'tensorflow'),
    { backend: 'tensorflow', reason: 'neither package is installed' },
  );
});

test('auto never picks a software webgpu adapter or cpu, and says why', async () => {
  const m = fakeMachine({
    tensorflow: 'not installed',
    webgpu: { software: true, device: 'llvmpipe (software)' },
    wasm: { software: true, device: 'CPU, wasm SIMD, 2 threads' },
    cpu: CPU,
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
  const m = fakeMachine({
    webgpu: {
      activate: async () => {
        throw new Error('device lost\nstack...');
      },
    },
    wasm: {},
    cpu: CPU,
  });
  const info = await selectBackend('auto', m.probes);
  assert.equal(info.backend, 'wasm');
  assert.match(
    info.skipped.find((s) => s.backend === 'webgpu')!.reason,
    /^failed to start on fake webgpu: device lost$/,
  );

  const none = fakeMachine({ cpu: CPU });
  await assert.rejects(selectBackend('auto', none.probes), (err: Error) => {
    assert.match(
      err.message,
      /^No backend can train here: tensorflow: .*; webgpu: .*; wasm: .*; cpu: .*only when asked/,
    );
    return true;
  });
  assert.deepEqual(none.activated, [], 'cpu is never a silent fallback');
});

test('an explicit backend is used even when software, with no fallback when it is unavailable', async () => {
  const m = fakeMachine({ webgpu: { software: true, device: 'llvmpipe (software)' }, wasm: {}, cpu: CPU });
  const info = await selectBackend('webgpu', m.probes);
  assert.equal(info.backend, 'webgpu');
  assert.deepEqual(
    info.skipped.map((s) => s.reason),
    Array(3).fill('not requested (--backend webgpu)'),
  );

  const cpu = await selectBackend('cpu', m.probes, { threads: 3 });
  assert.equal(cpu.backend, 'cpu');

  const missing = fakeMachine({
    wasm: {},
    tensorflow: 'tfjs-node-gpu: libcudart.so.11.0 not found by the dynamic linker',
  });
  await assert.rejects(selectBackend('tensorflow', missing.probes), {
    message: 'The tensorflow backend is unavailable: tfjs-node-gpu: libcudart.so.11.0 not found by the dynamic linker',
  });
  await assert.rejects(selectBackend('webgpu', missing.probes), {
    message: 'The webgpu backend is unavailable: webgpu not on this fake machine',
  });
  assert.deepEqual(missing.activated, [], 'no silent fallback to wasm');

  const broken = fakeMachine({
    webgpu: {
      activate: async () => {
        throw new Error('requestDevice failed');
      },
    },
  });
  await assert.rejects(selectBackend('webgpu', broken.probes), {
    message: 'The webgpu backend failed to start on fake webgpu: requestDevice failed',
  });
  assert.deepEqual(broken.released, ['webgpu']);
});

test('EngineInfo carries the device and thread count the backend reports once running', async () => {
  const m = fakeMachine({
    wasm: {
      software: true,
      device: 'CPU, wasm SIMD, 8 threads',
      activate: async () => ({ device: 'CPU, wasm SIMD, 1 thread', threads: 1 }),
    },
  });
  const info = await selectBackend('wasm', m.probes, { threads: 8 });
  assert.deepEqual(info, {
    backend: 'wasm',
    device: 'CPU, wasm SIMD, 1 thread',
    provider: 'wasm',
    software: true,
    threads: 1,
    skipped: ['tensorflow', 'webgpu', 'cpu'].map((b) => ({ backend: b, reason: 'not requested (--backend wasm)' })),
  });
});

// `auto` by measurement: fake step times per backend, a temporary cache file.
function measurement(
  ms: Partial<Record<BackendName, number | Error>>,
  cacheFile?: string,
  kind?: 'training step' | 'forward batch',
) {
  const timed: BackendName[] = [];
  return {
    timed,
    measure: {
      workload: 'alexnet 224x224x3 batch 32',
      kind,
      machine: 'test machine',
      cacheFile,
      async time(backend: BackendName) {
        timed.push(backend);
        const v = ms[backend];
        if (v instanceof Error) throw v;
        return v ?? 1;
      },
    },
  };
}

test('auto with a measurement times every backend that loads and takes the fastest, printing the times', async () => {
  const machine = fakeMachine({
    tensorflow: { provider: 'tfjs-node', device: 'CPU, libtensorflow' },
    webgpu: { device: 'NVIDIA H200 (Vulkan)' },
    wasm: {},
    cpu: CPU,
  });
  const { measure, timed } = measurement({ tensorflow: 1200, webgpu: 950.4, wasm: 800 });
  const lines: string[] = [];
  const info = await selectBackend('auto', machine.probes, { measure, log: (l) => lines.push(l) });
  assert.equal(info.backend, 'wasm', 'wasm was fastest, preference order notwithstanding');
  assert.deepEqual(timed, ['tensorflow', 'webgpu', 'wasm']);
  assert.deepEqual(
    info.measured!.map((m) => [m.backend, m.msPerStep, m.cached]),
    [
      ['wasm', 800, false],
      ['webgpu', 950, false],
      ['tensorflow', 1200, false],
    ],
  );
  assert.deepEqual(machine.activated, ['tensorflow', 'webgpu', 'wasm', 'wasm'], 'the winner is (re)activated last');
  assert.deepEqual(machine.released.sort(), ['tensorflow', 'webgpu']);
  assert.equal(
    lines.at(-1),
    'engine: wasm (wasm) on fake wasm; measured a training step: wasm 800 ms, webgpu 950 ms, tensorflow 1200 ms',
  );
  assert.match(info.skipped.find((s) => s.backend === 'webgpu')!.reason, /slower here \(950 ms a step\)/);
});

test('measured times are cached per machine, device and workload; a named backend is obeyed unmeasured', async () => {
  const cacheFile = join(mkdtempSync(join(tmpdir(), 'dc-measure-')), 'backend-step-times.json');
  const spec = { webgpu: { device: 'NVIDIA H200 (Vulkan)' }, wasm: {}, cpu: CPU } as const;
  const first = measurement({ webgpu: 90, wasm: 800 }, cacheFile);
  assert.equal((await selectBackend('auto', fakeMachine(spec).probes, { measure: first.measure })).backend, 'webgpu');
  const again = measurement({ webgpu: 5000, wasm: 1 }, cacheFile);
  const machine = fakeMachine(spec);
  const info = await selectBackend('auto', machine.probes, { measure: again.measure });
  assert.equal(info.backend, 'webgpu');
  assert.deepEqual(again.timed, [], 'nothing measured twice');
  assert.deepEqual(machine.activated, ['webgpu'], 'cached candidates are not even started');
  assert.ok(info.measured!.every((m) => m.cached));
  const otherBatch = measurement({ webgpu: 5000, wasm: 1 }, cacheFile);
  otherBatch.measure.workload = 'alexnet 224x224x3 batch 64';
  assert.equal(
    (await selectBackend('auto', fakeMachine(spec).probes, { measure: otherBatch.measure })).backend,
    'wasm',
  );
  const named = measurement({ webgpu: 1, wasm: 1 });
  assert.equal((await selectBackend('wasm', fakeMachine(spec).probes, { measure: named.measure })).backend, 'wasm');
  assert.deepEqual(named.timed, []);
});

test('measuring skips software adapters, and a backend that cannot train the model is skipped with why', async () => {
  const machine = fakeMachine({
    tensorflow: 'not installed',
    webgpu: { device: 'llvmpipe', software: true },
    wasm: {},
    cpu: CPU,
  });
  const { measure, timed } = measurement({ webgpu: 1, wasm: 800 });
  const info = await selectBackend('auto', machine.probes, { measure });
  assert.equal(info.backend, 'wasm');
  assert.deepEqual(timed, [], 'a single candidate is not timed');
  assert.equal(info.measured, undefined);
  const gpu = fakeMachine({ webgpu: { device: 'Intel UHD 620' }, wasm: {}, cpu: CPU });
  const m2 = measurement({
    webgpu: new Error(
      "alexnet's fc6 weight (9216 x 4096) is 144.0 MiB, over this adapter's maxStorageBufferBindingSize",
    ),
    wasm: 800,
  });
  const info2 = await selectBackend('auto', gpu.probes, { measure: m2.measure });
  assert.equal(info2.backend, 'wasm');
  assert.match(
    info2.skipped.find((s) => s.backend === 'webgpu')!.reason,
    /^could not train alexnet 224x224x3 batch 32 on Intel UHD 620: alexnet's fc6 weight/,
  );
  assert.deepEqual(gpu.released, ['webgpu']);
});

test('forward-only commands time a forward batch: said on the engine line, cached apart from training steps', async () => {
  const cacheFile = join(mkdtempSync(join(tmpdir(), 'dc-measure-')), 'backend-step-times.json');
  const spec = { webgpu: { device: 'Intel UHD 620' }, wasm: {}, cpu: CPU } as const;
  const training = measurement({ webgpu: 300, wasm: 900 }, cacheFile, 'training step');
  assert.equal(
    (await selectBackend('auto', fakeMachine(spec).probes, { measure: training.measure })).backend,
    'webgpu',
  );
  // The same model and batch, forward only: the training steps' cache does not answer it.
  const forward = measurement({ webgpu: 120, wasm: 80.4 }, cacheFile, 'forward batch');
  const lines: string[] = [];
  const info = await selectBackend('auto', fakeMachine(spec).probes, {
    measure: forward.measure,
    log: (l) => lines.push(l),
  });
  assert.deepEqual(forward.timed, ['webgpu', 'wasm']);
  assert.equal(info.backend, 'wasm');
  assert.equal(info.measuredKind, 'forward batch');
  assert.equal(lines.at(-1), 'engine: wasm (wasm) on fake wasm; measured a forward batch: wasm 80 ms, webgpu 120 ms');
  assert.match(info.skipped.find((s) => s.backend === 'webgpu')!.reason, /slower here \(120 ms a forward batch\)/);
  // Both kinds are now cached: neither is timed again, and each keeps its own answer.
  const forwardAgain = measurement({ webgpu: 1, wasm: 1000 }, cacheFile, 'forward batch');
  assert.equal(
    (await selectBackend('auto', fakeMachine(spec).probes, { measure: forwardAgain.measure })).backend,
    'wasm',
  );
  const trainingAgain = measurement({ webgpu: 1000, wasm: 1 }, cacheFile);
  assert.equal(
    (await selectBackend('auto', fakeMachine(spec).probes, { measure: trainingAgain.measure })).backend,
    'webgpu',
  );
  assert.deepEqual([...forwardAgain.timed, ...trainingAgain.timed], []);
  // A network that cannot run is skipped with "run", not "train".
  const failing = measurement({ webgpu: new Error('over the binding limit'), wasm: 5 }, undefined, 'forward batch');
  const info2 = await selectBackend('auto', fakeMachine(spec).probes, { measure: failing.measure });
  assert.match(
    info2.skipped.find((s) => s.backend === 'webgpu')!.reason,
    /^could not run alexnet 224x224x3 batch 32 on/,
  );
});
