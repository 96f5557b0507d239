// webgpu on Dawn trains: a few SGD steps of a small conv+BN net reduce the loss, and the losses match the wasm
// backend's from the same initial weights and data. In CI Dawn runs on lavapipe (Mesa's software Vulkan).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, releaseEngine } from '../../../src/trainer/engine';
import { findWebgpuAdapter } from '../../../src/trainer/engine/webgpuDawn';
import { batchNormTrain } from '../../../src/trainer/engine/ops/batchNorm';

const BATCH = 16;
const SIZE = 16;
const CLASSES = 4;
const STEPS = 6;
const LR = 0.05;
/** Largest |loss_webgpu - loss_wasm| we accept at any step: float32 summation order differs between backends. */
const TOLERANCE = 1e-3;

/** Deterministic uniform numbers in [-1, 1) (mulberry32), so both backends start from identical bytes. */
function uniforms(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

interface Shapes {
  [name: string]: number[];
}
const SHAPES: Shapes = {
  conv1: [3, 3, 1, 8],
  gamma1: [8],
  beta1: [8],
  conv2: [3, 3, 8, 16],
  gamma2: [16],
  beta2: [16],
  fc: [(SIZE / 4) * (SIZE / 4) * 16, CLASSES],
  fcBias: [CLASSES],
};

function initialWeights(): Map<string, Float32Array> {
  const w = new Map<string, Float32Array>();
  let seed = 1;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape[0];
    if (name.startsWith('gamma')) w.set(name, new Float32Array(n).fill(1));
    else if (name.startsWith('beta') || name === 'fcBias') w.set(name, new Float32Array(n));
    else
      w.set(
        name,
        uniforms(n, seed++).map((v) => v * Math.sqrt(3 / fanIn)),
      );
  }
  return w;
}

/** Images whose class is the quadrant holding a bright blob, plus noise: learnable in a few steps. */
function batch(): { x: Float32Array; y: Int32Array } {
  const noise = uniforms(BATCH * SIZE * SIZE, 99);
  const x = new Float32Array(BATCH * SIZE * SIZE);
  const y = new Int32Array(BATCH);
  for (let b = 0; b < BATCH; b++) {
    y[b] = b % CLASSES;
    const oy = (y[b] >> 1) * (SIZE / 2),
      ox = (y[b] & 1) * (SIZE / 2);
    for (let i = 0; i < SIZE; i++)
      for (let j = 0; j < SIZE; j++) {
        const k = (b * SIZE + i) * SIZE + j;
        const inBlob = i >= oy + 2 && i < oy + 6 && j >= ox + 2 && j < ox + 6;
        x[k] = (inBlob ? 1 : 0) + 0.3 * noise[k];
      }
  }
  return { x, y };
}

/**
 * conv3x3 -> BN (batch statistics, the project's batchNormTrain with its hand-derived gradient) -> ReLU ->
 * maxpool, twice, then a dense layer: smallvgg's shape, small enough for lavapipe in seconds.
 */
function logits(v: Map<string, tf.Variable>, x: tf.Tensor4D): tf.Tensor2D {
  const block = (h: tf.Tensor4D, i: number) => {
    const c = tf.conv2d(h, v.get(`conv${i}`) as tf.Tensor4D, 1, 'same');
    const bn = batchNormTrain(c, v.get(`gamma${i}`) as tf.Tensor1D, v.get(`beta${i}`) as tf.Tensor1D, 1e-5).y;
    return tf.maxPool(tf.relu(bn), 2, 2, 'valid');
  };
  const h = block(block(x, 1), 2);
  return tf.add(tf.matMul(tf.reshape(h, [BATCH, -1]), v.get('fc')!), v.get('fcBias')!) as tf.Tensor2D;
}

/** Runs STEPS of plain SGD on the current backend; returns the loss before each step. */
async function trainLosses(): Promise<number[]> {
  const vars = new Map<string, tf.Variable>();
  for (const [name, values] of initialWeights())
    vars.set(name, tf.variable(tf.tensor(values, SHAPES[name]), true, name + tf.getBackend()));
  const data = batch();
  const x = tf.tensor4d(data.x, [BATCH, SIZE, SIZE, 1]);
  const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), CLASSES);
  const optimizer = tf.train.sgd(LR);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(vars, x)) as tf.Scalar, true)!;
    // Async read: the webgpu backend's dataSync needs OffscreenCanvas, which Node lacks.
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  optimizer.dispose();
  tf.dispose([x, y, ...vars.values()]);
  return losses;
}

// Dawn keeps Node alive while a GPU device is referenced; without this the test file never exits.
after(() => releaseEngine());

test('webgpu on Dawn trains a small BN convnet and matches wasm', { timeout: 120_000 }, async (t) => {
  let adapter: Awaited<ReturnType<typeof findWebgpuAdapter>>;
  try {
    adapter = await findWebgpuAdapter();
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  t.diagnostic(`adapter: ${adapter.name} (software: ${adapter.software})`);

  const wasmInfo = await initEngine('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const wasm = await trainLosses();

  const gpuInfo = await initEngine('webgpu', { allowSoftware: true });
  assert.equal(tf.getBackend(), 'webgpu');
  assert.equal(gpuInfo.backend, 'webgpu');
  assert.equal(gpuInfo.software, adapter.software);
  const webgpu = await trainLosses();

  t.diagnostic(`wasm (${wasmInfo.device}) losses:   ${wasm.map((l) => l.toFixed(5)).join(' ')}`);
  t.diagnostic(`webgpu (${gpuInfo.device}) losses: ${webgpu.map((l) => l.toFixed(5)).join(' ')}`);
  assert.ok(webgpu.at(-1)! < 0.8 * webgpu[0], `webgpu loss did not drop: ${webgpu.join(', ')}`);
  const worst = Math.max(...webgpu.map((l, i) => Math.abs(l - wasm[i])));
  t.diagnostic(`max |webgpu - wasm| over ${STEPS} steps: ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
  assert.ok(worst <= TOLERANCE, `webgpu and wasm losses differ by ${worst}`);
});

test('releaseEngine frees Dawn, and webgpu can be started again afterwards', async (t) => {
  try {
    await findWebgpuAdapter();
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  await initEngine('webgpu');
  releaseEngine();
  assert.equal((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu, undefined);
  const info = await initEngine('webgpu');
  assert.equal(info.backend, 'webgpu');
  const y = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
  assert.deepEqual(Array.from(await y.data()), [4, 6]);
});
