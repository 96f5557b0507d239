// AlexNet-BN trains on webgpu (lavapipe in CI) as on wasm: the same seeded weights, batch and pseudo-labels give
// the same losses over a few of the trainer's own SGD steps (trainStep, inside the WebGPU error scopes), and the
// same fc7 features afterwards. Small input (the 63 px minimum, fc6 = 256 x 4096) and batch, so lavapipe takes
// seconds; fc6 and fc7 split over a binding limit: webgpuShards.test.ts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, releaseEngine } from '../../../src/trainer/engine';
import { findWebgpuAdapter } from '../../../src/trainer/engine/webgpuDawn';
import { createModel } from '../../../src/trainer/model';
import { bodyOptimizer, topOptimizer } from '../../../src/trainer/train/sgd';
import { trainStep } from '../../../src/trainer/train/step';

const SIZE = 63;
const BATCH = 4;
const K = 5;
const STEPS = 3;
/** Largest |loss_webgpu - loss_wasm| at any step (measured: equal to 5 decimals; float32 sums differ in order). */
const LOSS_TOLERANCE = 1e-4;
/** Largest |fc7_webgpu - fc7_wasm| after the steps, relative to the largest |fc7| (measured: 3e-6). */
const FEATURE_TOLERANCE = 1e-4;

after(() => releaseEngine());

function input(): Float32Array {
  const x = new Float32Array(BATCH * SIZE * SIZE * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.013) + 0.5 * Math.cos(i * 0.0071);
  return x;
}

async function run(): Promise<{ losses: number[]; features: Float32Array }> {
  const model = createModel({ arch: 'alexnet', inputSize: SIZE, inputChannels: 3, sobel: false, seed: 7 });
  model.resetTopLayer(K, 8);
  model.setDropoutSeed(9);
  const x = tf.tensor4d(input(), [BATCH, SIZE, SIZE, 3]);
  const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.01, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.01, weightDecay: 1e-5 }),
  };
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) losses.push(await trainStep(model, x, labels, optimizers));
  const f = model.features(x);
  const features = (await f.data()) as Float32Array;
  tf.dispose([x, labels, f]);
  optimizers.body.dispose();
  model.dispose();
  return { losses, features };
}

test('a small-batch dense input gradient (dY x W^T, split-K in tfjs 4.22) matches wasm', {
  timeout: 60_000,
}, async (t) => {
  try {
    await findWebgpuAdapter();
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  // AlexNet's fc7 -> fc6 input gradient at batch 4 in miniature: [4, 4096] x [256, 4096]^T.
  const product = async () => {
    const dy = tf.tensor2d(
      Float32Array.from({ length: 4 * 4096 }, (_, i) => Math.sin(i * 0.37)),
      [4, 4096],
    );
    const w = tf.tensor2d(
      Float32Array.from({ length: 256 * 4096 }, (_, i) => Math.cos(i * 0.11)),
      [256, 4096],
    );
    const out = (await tf.matMul(dy, w, false, true).data()) as Float32Array;
    tf.dispose([dy, w]);
    return out;
  };
  await initEngine('wasm');
  const want = await product();
  await initEngine('webgpu', { allowSoftware: true });
  const got = await product();
  let diff = 0,
    scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  assert.ok(diff <= 1e-5 * scale, `max |webgpu - wasm| ${diff} against max |value| ${scale}`);
});

test('AlexNet training steps on webgpu match wasm', { timeout: 180_000 }, async (t) => {
  let adapter: Awaited<ReturnType<typeof findWebgpuAdapter>>;
  try {
    adapter = await findWebgpuAdapter();
  } catch (err) {
    t.skip(`no Vulkan/WebGPU adapter here: ${(err as Error).message}`);
    return;
  }
  await initEngine('wasm');
  const wasm = await run();
  await initEngine('webgpu', { allowSoftware: true });
  const started = performance.now();
  const gpu = await run();
  t.diagnostic(
    `webgpu on ${adapter.name}: ${((performance.now() - started) / 1000).toFixed(1)} s for ${STEPS} steps + features`,
  );
  t.diagnostic(
    `losses wasm ${wasm.losses.map((l) => l.toFixed(5)).join(' ')} | webgpu ${gpu.losses.map((l) => l.toFixed(5)).join(' ')}`,
  );
  const lossDiff = Math.max(...gpu.losses.map((l, i) => Math.abs(l - wasm.losses[i])));
  assert.ok(lossDiff <= LOSS_TOLERANCE, `losses differ by ${lossDiff}`);
  assert.notEqual(wasm.losses[0], wasm.losses.at(-1), 'the steps changed the weights');
  let scale = 0,
    diff = 0;
  for (let i = 0; i < wasm.features.length; i++) {
    scale = Math.max(scale, Math.abs(wasm.features[i]));
    diff = Math.max(diff, Math.abs(wasm.features[i] - gpu.features[i]));
  }
  t.diagnostic(`fc7 after ${STEPS} steps: max |webgpu - wasm| ${diff.toExponential(2)}, max |fc7| ${scale.toFixed(3)}`);
  assert.ok(diff <= FEATURE_TOLERANCE * scale, `fc7 features differ by ${diff} (scale ${scale})`);
});
