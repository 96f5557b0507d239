// batchNormTrain's hand-derived gradient against autodiff of the plain formula, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from '../../../src/trainer/engine/ops/batchNorm';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD } from '../../../src/trainer/engine/wasm/batchNormKernels';
import { randomValues, relativeMaxError, useBackend } from './backends';

const EPS = 1e-5;

/** The textbook formula, differentiated by tfjs autodiff. */
function plainBatchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), gamma), beta) as tf.Tensor4D;
}

type Bn = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, c: tf.Tensor1D) => tf.Tensor4D;

function gradientsOf(bn: Bn, shape: [number, number, number, number]) {
  return tf.tidy(() => {
    const c = shape[3];
    const size = shape.reduce((a, b) => a * b, 1);
    // An offset mean and uneven scale, as conv outputs have; a random weighting makes every gradient path count.
    const x = tf.add(tf.mul(tf.tensor4d(randomValues(size, 11), shape), 3), 5) as tf.Tensor4D;
    const gamma = tf.tensor1d(randomValues(c, 12));
    const beta = tf.tensor1d(randomValues(c, 13));
    const bias = tf.mul(tf.tensor1d(randomValues(c, 15)), 4) as tf.Tensor1D;
    const r = tf.tensor4d(randomValues(size, 14), shape);
    const f = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, cb: tf.Tensor1D) => tf.sum(tf.mul(bn(a, g, b, cb), r));
    const [dx, dg, db, dc] = tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, gamma, beta, bias]);
    return {
      y: bn(x, gamma, beta, bias).dataSync(),
      dx: dx.dataSync(),
      dg: dg.dataSync(),
      db: db.dataSync(),
      dc: dc.dataSync(),
    };
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`batchNormTrain value and gradient match autodiff of the plain formula (${backend})`, async () => {
    await useBackend(backend);
    // wasm takes the fused kernels, cpu the composed tf ops: both paths are checked here.
    assert.equal(tf.getKernel(BN_TRAIN_FORWARD, backend) !== undefined, backend === 'wasm');
    assert.equal(tf.getKernel(BN_TRAIN_BACKWARD, backend) !== undefined, backend === 'wasm');
    // Plain BatchNorm (the bias then only gets a gradient through the plain formula's own x + c: test both
    // forms), and the conv block tail relu(BatchNorm(x + bias)) that training uses.
    const variants: Array<[string, Bn, Bn]> = [
      [
        'plain',
        (x, g, b, c) => batchNormTrain(tf.add(x, c) as tf.Tensor4D, g, b, EPS).y,
        (x, g, b, c) => plainBatchNorm(tf.add(x, c) as tf.Tensor4D, g, b),
      ],
      [
        'bias + relu',
        (x, g, b, c) => batchNormTrain(x, g, b, EPS, { bias: c, relu: true }).y,
        (x, g, b, c) => tf.relu(plainBatchNorm(tf.add(x, c) as tf.Tensor4D, g, b)),
      ],
    ];
    for (const [name, ours, plain] of variants) {
      for (const shape of [
        [4, 5, 3, 7],
        [2, 8, 8, 1],
        [16, 4, 4, 32],
        [8, 23, 21, 19],
      ] as [number, number, number, number][]) {
        const got = gradientsOf(ours, shape);
        const ref = gradientsOf(plain, shape);
        for (const key of ['y', 'dx', 'dg', 'db', 'dc'] as const) {
          // The bias gradient is zero up to rounding: compare on the scale of dx's sums.
          const err =
            key === 'dc'
              ? Math.max(...Array.from(got.dc, (v, i) => Math.abs(v - ref.dc[i]))) / (1 + Math.sqrt(got.dx.length))
              : relativeMaxError(got[key], ref[key]);
          assert.ok(err < 2e-5, `${name}: ${key} error ${err} for shape ${shape} on ${backend}`);
        }
      }
    }
  });
}

test('batchNormTrain returns the batch mean and biased variance and leaks nothing', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 1, 2]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const { y, mean, variance } = batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, 0);
    assert.deepEqual(Array.from(mean.dataSync()), [4, 5]);
    assert.deepEqual(Array.from(variance.dataSync()), [5, 5]);
    const yv = y.dataSync();
    assert.ok(Math.abs(yv[0] - -3 / Math.sqrt(5)) < 1e-6);
  });
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
