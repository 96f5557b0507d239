// `embed`: a run's model over an image folder -> .npy rows equal to the model's features of each image, in the
// dataset's order (a batch size that does not divide N), images.txt naming them, grey images repeated into
// RGB for a 3-channel model, and the file loads in NumPy when python3 has it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseImageNames } from '../../../src/runfolder/imageNames';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, releaseEngine } from '../../../src/trainer/engine';
import { createModel } from '../../../src/trainer/model';
import { openDataset } from '../../../src/trainer/data';
import { saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { createRunDir, newRunManifest, readRunManifest } from '../../../src/runfolder/manifest';
import { embed } from '../../../src/trainer/pretrained/embed';
import { npyHeader } from '../../../src/trainer/pretrained/npy';
import { fakeConfig, fakeDataset, fakeState, tempDir } from '../run/fixture';

let root = '';
let runDir = '';
const SIZE = 32;
const numpyPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
);

/** n RGB PNGs of seeded noise in two class folders. */
async function imageFolder(dir: string, n: number): Promise<void> {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < n; i++) {
    const cls = path.join(dir, i % 2 ? 'b' : 'a');
    await fs.mkdir(cls, { recursive: true });
    const px = Buffer.from(Array.from({ length: 40 * 40 * 3 }, rnd));
    await sharp(px, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(path.join(cls, `img${String(i).padStart(2, '0')}.png`));
  }
}

/** An IDX file of n grey 20x20 images of seeded noise: a one-channel dataset. */
async function idxFile(file: string, n: number): Promise<void> {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x00000803, 0);
  head.writeUInt32BE(n, 4);
  head.writeUInt32BE(20, 8);
  head.writeUInt32BE(20, 12);
  const px = Buffer.from(Array.from({ length: n * 400 }, (_, i) => (i * 7919) % 251));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, Buffer.concat([head, px]));
}

before(async () => {
  await initEngine('wasm');
  root = await tempDir('dc-embed-');
  runDir = path.join(root, 'run');
  await createRunDir(
    runDir,
    newRunManifest({
      config: fakeConfig(runDir),
      dataset: fakeDataset(),
      engine: { backend: 'wasm', device: 'CPU', provider: 'wasm', software: true, skipped: [] },
    }),
  );
  const net = createModel({ arch: 'smallvgg', inputSize: SIZE, inputChannels: 3, sobel: false, seed: 5 });
  for (const [name, v] of net.namedWeights())
    if (name.endsWith('runningVar')) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 3));
  await saveCheckpoint(runDir, {
    ...fakeState(0),
    optimizer: undefined,
    weights: net.namedWeights(),
    modelOptions: { ...net.options },
  });
  net.dispose();
  await imageFolder(path.join(root, 'rgb'), 7);
  await idxFile(path.join(root, 'grey', 'images-idx3-ubyte'), 5);
});
after(() => rmSync(root, { recursive: true, force: true }));

function readNpy(file: string): { shape: number[]; data: Float32Array } {
  const b = readFileSync(file);
  assert.deepEqual([...b.subarray(0, 8)], [0x93, ...Buffer.from('NUMPY'), 1, 0]);
  const hlen = b.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0, 'header padded to 64 bytes');
  const header = b.subarray(10, 10 + hlen).toString('latin1');
  const m = /^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \} *\n$/.exec(header);
  assert.ok(m, header);
  const shape = [Number(m[1]), Number(m[2])];
  const bytes = b.subarray(10 + hlen);
  assert.equal(bytes.length, shape[0]! * shape[1]! * 4);
  return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
}

for (const grey of [false, true]) {
  test(`embed a run's model over ${grey ? 'a grey IDX file' : 'an RGB folder'}: rows are each image's features in dataset order`, async () => {
    const data = grey ? path.join(root, 'grey', 'images-idx3-ubyte') : path.join(root, 'rgb');
    const out = path.join(root, grey ? 'g' : 'c', 'features.npy');
    const cacheDir = path.join(root, 'cache');
    const r = await embed({ model: runDir, data, out, batchSize: 3, cacheDir, backend: 'wasm' }, () => undefined);
    const n = grey ? 5 : 7;
    assert.deepEqual([r.rows, r.dim], [n, 512]);
    const npy = readNpy(out);
    assert.deepEqual(npy.shape, [n, 512]);
    // The reference: the same model, all images in one batch through the dataset's own eval view.
    const ds = await openDataset({ path: data, inputSize: SIZE, cacheDir });
    assert.equal(ds.channels, grey ? 1 : 3);
    const lines = parseImageNames(readFileSync(path.join(path.dirname(out), 'images.txt'), 'utf8'));
    assert.deepEqual(
      lines,
      Array.from({ length: n }, (_, i) => ds.itemName(i)),
    );
    const { loadFeatureModel } = await import('../../../src/trainer/pretrained/featureModel');
    const model = await loadFeatureModel(runDir);
    const x0 = await ds.evalBatch(Array.from({ length: n }, (_, i) => i));
    const x = grey ? tf.tile(x0, [1, 1, 1, 3]) : x0;
    const want = model.net.features(x as tf.Tensor4D).dataSync();
    tf.dispose([x0, x]);
    model.net.dispose();
    await ds.close();
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i]! - npy.data[i]!));
    assert.ok(maxDiff < 1e-4, `rows differ from the model's features by ${maxDiff}`);
    const spread = Math.max(...npy.data) - Math.min(...npy.data);
    assert.ok(spread > 0.1, 'features are not constant');
    if (numpyPython) {
      const py = spawnSync(
        numpyPython,
        [
          '-c',
          `import numpy as np; a = np.load(${JSON.stringify(out)}); print(a.dtype, a.shape, float(a.astype(np.float64).sum()))`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(py.status, 0, py.stderr);
      const [dtype, ...rest] = py.stdout.trim().split(' ');
      assert.equal(dtype, 'float32');
      assert.equal(rest.slice(0, 2).join(' '), `(${n}, 512)`);
      const sum = npy.data.reduce((a, v) => a + v, 0);
      assert.ok(
        Math.abs(Number(rest[2]) - sum) < 1e-6 * Math.max(1, Math.abs(sum)),
        `numpy sums ${rest[2]}, we ${sum}`,
      );
    }
  });
}

test('embed with auto times forward batches of the model on each backend (software adapter allowed), cached', async (t) => {
  const { findWebgpuAdapter } = await import('../../../src/trainer/engine/webgpuDawn');
  try {
    await findWebgpuAdapter();
  } catch (err) {
    return t.skip(`no Vulkan/WebGPU adapter here, so a single candidate: ${(err as Error).message}`);
  }
  const data = path.join(root, 'rgb');
  const cacheDir = path.join(root, 'cache-auto');
  const previous = process.env.DEEPCLUSTER_AUTO_SOFTWARE;
  process.env.DEEPCLUSTER_AUTO_SOFTWARE = '1';
  try {
    const runs: { lines: string[]; rows: Float32Array }[] = [];
    for (const name of ['a1', 'a2']) {
      const lines: string[] = [];
      const out = path.join(root, name, 'features.npy');
      await embed({ model: runDir, data, out, batchSize: 3, cacheDir, backend: 'auto' }, (l) => lines.push(l));
      runs.push({ lines, rows: readNpy(out).data });
    }
    const engineLine = (lines: string[]) => lines.find((l) => l.includes('measured a forward batch'));
    t.diagnostic(engineLine(runs[0]!.lines) ?? runs[0]!.lines.join(' | '));
    assert.match(
      engineLine(runs[0]!.lines) ?? '',
      /measured a forward batch: (wasm|webgpu) \d+ ms, (webgpu|wasm) \d+ ms$/,
    );
    assert.match(engineLine(runs[1]!.lines) ?? '', /: \w+ \d+ ms \(cached\), \w+ \d+ ms \(cached\)$/);
    // Read on the cpu backend before the choice, the weights serve whichever was chosen: the wasm run's rows.
    const wasmRows = readNpy(path.join(root, 'c', 'features.npy')).data;
    let maxDiff = 0;
    for (let i = 0; i < wasmRows.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wasmRows[i]! - runs[0]!.rows[i]!));
    assert.ok(maxDiff < 1e-4, `rows differ from the wasm run's by ${maxDiff}`);
  } finally {
    if (previous === undefined) delete process.env.DEEPCLUSTER_AUTO_SOFTWARE;
    else process.env.DEEPCLUSTER_AUTO_SOFTWARE = previous;
    releaseEngine();
    await initEngine('wasm');
  }
});

test("eval's checkpoint context with auto times forward batches of the run's network before reading it", async (t) => {
  const { findWebgpuAdapter } = await import('../../../src/trainer/engine/webgpuDawn');
  try {
    await findWebgpuAdapter();
  } catch (err) {
    return t.skip(`no Vulkan/WebGPU adapter here, so a single candidate: ${(err as Error).message}`);
  }
  const { openCheckpointContext } = await import('../../../src/trainer/analyze/checkpointContext');
  // A run like the fixture's, with its own cache folder (where the timings go).
  const evalRun = path.join(root, 'eval-run');
  const cacheDir = path.join(root, 'cache-eval');
  await createRunDir(
    evalRun,
    newRunManifest({
      config: { ...fakeConfig(evalRun), cacheDir, data: path.join(root, 'not-here') },
      dataset: fakeDataset(),
      engine: { backend: 'wasm', device: 'CPU', provider: 'wasm', software: true, skipped: [] },
    }),
  );
  const m = readRunManifest(evalRun);
  const net = createModel({
    arch: m.config.arch,
    inputSize: m.config.inputSize,
    inputChannels: 1,
    sobel: m.config.sobel,
    seed: 5,
  });
  await saveCheckpoint(evalRun, {
    ...fakeState(0),
    optimizer: undefined,
    weights: net.namedWeights(),
    modelOptions: { ...net.options },
  });
  net.dispose();
  const previous = process.env.DEEPCLUSTER_AUTO_SOFTWARE;
  process.env.DEEPCLUSTER_AUTO_SOFTWARE = '1';
  const lines: string[] = [];
  try {
    // The run's dataset is not on disk: the context stops there, after choosing the engine.
    // eval passes its feature batch (256); 4 here keeps lavapipe quick.
    await assert.rejects(
      openCheckpointContext(evalRun, { backend: 'auto', forwardBatch: 4, log: (l) => lines.push(l) }),
      /not-here/,
    );
  } finally {
    if (previous === undefined) delete process.env.DEEPCLUSTER_AUTO_SOFTWARE;
    else process.env.DEEPCLUSTER_AUTO_SOFTWARE = previous;
    releaseEngine();
    await initEngine('wasm');
  }
  const engineLine = lines.find((l) => l.includes('measured'));
  t.diagnostic(engineLine ?? lines.join(' | '));
  assert.match(engineLine ?? '', /measured a forward batch: (wasm|webgpu) \d+ ms( \(cached\))?, (webgpu|wasm) \d+ ms/);
  // Timed: the manifest's network (the fixture's config and 1-channel dataset) at the batch asked.
  const workload = `${m.config.arch} ${m.config.inputSize}x${m.config.inputSize}x1${m.config.sobel ? ' sobel' : ''} batch 4`;
  const cache = JSON.parse(readFileSync(path.join(cacheDir, 'backend-step-times.json'), 'utf8'));
  assert.ok(
    Object.keys(cache).some((k) => k.endsWith(`| ${workload} | forward batch`)),
    Object.keys(cache).join('\n'),
  );
});

test('npy header: version 1.0, 64-byte aligned, a 1-d shape keeps its comma', () => {
  const h = npyHeader([3]);
  assert.equal(h.length % 64, 0);
  assert.match(new TextDecoder('latin1').decode(h.subarray(10)), /'shape': \(3,\), \}/);
});
