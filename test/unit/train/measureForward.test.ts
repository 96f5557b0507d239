// What `auto` times for the forward-only commands: forward batches of the command's network at its batch, with the
// kind in the workload's cache key; a named backend is not measured. And the weights such a command reads before
// the engine is chosen (on the cpu backend, stageOnCpu) serve the backend chosen afterwards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine, releaseEngine, stageOnCpu } from '../../../src/trainer/engine';
import { cacheKey } from '../../../src/trainer/engine/measuredChoice';
import { forwardEngineOptions, forwardMeasurement } from '../../../src/trainer/train/measureForward';
import { createModel, type ModelOptions } from '../../../src/trainer/model';

const SMALL: ModelOptions = { arch: 'smallvgg', inputSize: 16, inputChannels: 1, sobel: true, seed: 3 };

after(() => releaseEngine());

test('auto gets a forward-batch measurement of the model at the batch; a named backend none', () => {
  const auto = forwardEngineOptions('auto', SMALL, 64, '/tmp/cache', () => undefined);
  assert.equal(auto.measure?.kind, 'forward batch');
  assert.equal(auto.measure?.workload, 'smallvgg 16x16x1 sobel batch 64');
  assert.equal(auto.measure?.cacheFile, '/tmp/cache/backend-step-times.json');
  assert.match(
    cacheKey(auto.measure!, 'wasm', 'CPU'),
    / \| wasm on CPU \| smallvgg 16x16x1 sobel batch 64 \| forward batch$/,
  );
  assert.equal(forwardEngineOptions('wasm', SMALL, 64, undefined, () => undefined).measure, undefined);
});

test('the measurement runs forward batches of that network on the active backend and frees them', async () => {
  await initEngine('wasm');
  // A disposed model leaves nothing (it used to leave each variable's initial tensor: 35 for smallvgg).
  let before = tf.memory().numTensors;
  createModel(SMALL).dispose();
  assert.equal(tf.memory().numTensors - before, 0, 'a disposed model left tensors behind');
  before = tf.memory().numTensors;
  const ms = await forwardMeasurement(SMALL, 8).time('wasm');
  assert.ok(ms > 0 && Number.isFinite(ms), `${ms} ms`);
  assert.equal(tf.memory().numTensors - before, 0, 'no model, input or feature tensor left behind');
});

test('weights made on the cpu stage are used by the backend chosen afterwards', async () => {
  await stageOnCpu();
  assert.equal(tf.getBackend(), 'cpu');
  const net = createModel(SMALL);
  const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const onCpu = tf
    .tidy(() => net.features(x))
    .dataSync()
    .slice();
  await initEngine('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const onWasm = tf.tidy(() => net.features(x)).dataSync();
  let diff = 0;
  for (let i = 0; i < onCpu.length; i++) diff = Math.max(diff, Math.abs(onCpu[i]! - onWasm[i]!));
  assert.ok(diff < 1e-4, `features differ by ${diff}`);
  assert.ok(Math.max(...onWasm) - Math.min(...onWasm) > 0, 'features are not constant');
  x.dispose();
  net.dispose();
});
