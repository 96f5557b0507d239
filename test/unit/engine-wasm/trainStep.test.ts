// SGD (PyTorch form) and the training step with micro-batch gradient accumulation, on a throwaway net without
// BatchNorm or dropout, so that micro-batching must reproduce the full-batch step exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { ConvNet } from '../../../src/trainer/model/types';
import { MOMENTUM_PREFIX, Sgd, bodyOptimizer, topOptimizer } from '../../../src/trainer/train/sgd';
import { trainStep } from '../../../src/trainer/train/step';
import { randomValues, relativeMaxError, useBackend } from './backends';

/** conv3x3(4) -> relu -> maxpool -> flatten -> dense(k): just enough of ConvNet for trainStep and the optimizers. */
function tinyNet(k: number): ConvNet {
  const conv = tf.variable(tf.mul(tf.tensor4d(randomValues(3 * 3 * 1 * 4, 51), [3, 3, 1, 4]), 0.5), true, 'tiny.conv');
  const top = tf.variable(tf.mul(tf.tensor2d(randomValues(4 * 4 * 4 * k, 52), [64, k]), 0.2), true, 'tiny.top');
  const topBias = tf.variable(tf.zeros([k]), true, 'tiny.topBias');
  const net = {
    bodyVariables: () => [conv],
    topVariables: () => [top, topBias],
    namedWeights: () =>
      new Map<string, tf.Variable>([
        ['conv1.weight', conv],
        ['top.weight', top],
        ['top.bias', topBias],
      ]),
    logits: (x: tf.Tensor4D) =>
      tf.tidy(() => {
        const h = tf.maxPool(tf.relu(tf.conv2d(x, conv as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
        return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), top), topBias) as tf.Tensor2D;
      }),
    dispose: () => tf.dispose([conv, top, topBias]),
  };
  return net as unknown as ConvNet;
}

function batch(n: number, k: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return {
    x: tf.tensor4d(randomValues(n * 8 * 8, 53), [n, 8, 8, 1]),
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => (i * 7) % k),
      'int32',
    ),
  };
}

test('Sgd follows PyTorch: v <- mu v + g + wd w; w <- w - lr v (and momentum 0 is plain SGD)', async () => {
  await useBackend('wasm');
  const w = tf.variable(tf.tensor1d([1, -2]));
  const sgd = new Sgd(new Map([['w', w]]), { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
  const g = tf.tensor1d([0.5, 0.25]);
  sgd.step([g]);
  // d = g + 0.01 w = [0.51, 0.23]; v = d; w = w - 0.1 v
  assert.ok(relativeMaxError(w.dataSync(), [0.949, -2.023]) < 1e-6);
  sgd.step([g]);
  // d = [0.5 + 0.00949, 0.25 - 0.02023]; v = 0.9 [0.51, 0.23] + d
  const v = [0.9 * 0.51 + 0.50949, 0.9 * 0.23 + 0.22977];
  assert.ok(relativeMaxError(w.dataSync(), [0.949 - 0.1 * v[0], -2.023 - 0.1 * v[1]]) < 1e-6);

  const state = sgd.exportState();
  assert.deepEqual([...state.keys()], [`${MOMENTUM_PREFIX}w`]);
  assert.ok(relativeMaxError(state.get(`${MOMENTUM_PREFIX}w`)!.dataSync(), v) < 1e-6);
  const restored = new Sgd(new Map([['w', w]]), sgd.options);
  restored.importState(state);
  assert.ok(relativeMaxError(restored.exportState().get(`${MOMENTUM_PREFIX}w`)!.dataSync(), v) < 1e-6);
  assert.throws(
    () => restored.importState(new Map([[`${MOMENTUM_PREFIX}nope`, tf.zeros([2])]])),
    /unknown parameter 'nope'/,
  );

  const plain = new Sgd(new Map([['w', w]]), { lr: 1, momentum: 0, weightDecay: 0 });
  const before = w.dataSync().slice();
  plain.step([g]);
  assert.ok(relativeMaxError(w.dataSync(), [before[0] - 0.5, before[1] - 0.25]) < 1e-6);
  assert.equal(plain.exportState().size, 0);
  tf.dispose([w, g]);
  sgd.dispose();
  restored.dispose();
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`micro-batches (3 + 3 + 2) give the full-batch step exactly, and the loss falls (${backend})`, async () => {
    await useBackend(backend);
    const k = 5;
    const results: Array<{ losses: number[]; weights: Float32Array[] }> = [];
    for (const microBatch of [8, 3]) {
      const net = tinyNet(k);
      const opt = {
        body: bodyOptimizer(net, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }),
        top: topOptimizer(net, { lr: 0.1, weightDecay: 1e-4 }),
      };
      const { x, y } = batch(8, k);
      const tensorsBefore = tf.memory().numTensors;
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push(await trainStep(net, x, y, opt, { microBatch }));
      // Only the body's momentum buffer (1 tensor) may have been added.
      assert.equal(tf.memory().numTensors, tensorsBefore + 1);
      results.push({ losses, weights: [...net.namedWeights().values()].map((v) => v.dataSync() as Float32Array) });
      opt.body.dispose();
      net.dispose();
      tf.dispose([x, y]);
    }
    const [full, micro] = results;
    assert.ok(Math.abs(full.losses[0] - Math.log(5)) < 1.0, `initial loss ${full.losses[0]}`);
    assert.ok(full.losses[4] < full.losses[0] - 0.05, `loss did not fall: ${full.losses}`);
    for (let i = 0; i < 5; i++)
      assert.ok(
        Math.abs(full.losses[i] - micro.losses[i]) < 1e-5,
        `loss ${i}: ${full.losses[i]} vs ${micro.losses[i]}`,
      );
    full.weights.forEach((w, i) => assert.ok(relativeMaxError(micro.weights[i], w) < 1e-5, `weight ${i}`));
  });
}
