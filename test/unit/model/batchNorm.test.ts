// The training-mode conv block tail relu(BatchNorm(x + bias)): output and gradients (x, gamma, beta, bias) equal
// the textbook formula written out in elementary ops (cpu: the composed path; the fused wasm kernels are checked
// against the same formula in test/unit/engine-wasm/batchNorm.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { biasBatchNormReluTrain, createBatchNorm, BN_EPSILON } from '../../../src/trainer/model/batchNorm';
import { maxAbsDiff } from './wasm';

test('training relu(BatchNorm(x + bias)) matches relu((z - mean) / sqrt(biased var + eps) * gamma + beta), z = x + bias, gradients included', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([3, 4, 5, 6], 2, 3, 'float32', 1) as tf.Tensor4D;
  const dy = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 2);
  const bn = createBatchNorm(6);
  bn.gamma.assign(tf.randomNormal([6], 1, 0.5, 'float32', 3));
  bn.beta.assign(tf.randomNormal([6], 0, 0.5, 'float32', 4));
  const bias = tf.randomNormal([6], 0, 2, 'float32', 5) as tf.Tensor1D;
  const reference = (x: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const z = tf.add(x, c);
    const mean = tf.mean(z, [0, 1, 2]);
    const variance = tf.mean(tf.square(tf.sub(z, mean)), [0, 1, 2]);
    return tf.relu(tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), g), b));
  };
  const ours = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const v = { ...bn, gamma: g as tf.Variable<tf.Rank.R1>, beta: b as tf.Variable<tf.Rank.R1> };
    return tf.sum(tf.mul(biasBatchNormReluTrain(x as tf.Tensor4D, c as tf.Tensor1D, v), dy));
  })([x, bn.gamma, bn.beta, bias]);
  const theirs = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    tf.sum(tf.mul(reference(x as tf.Tensor4D, g, b, c), dy)),
  )([x, bn.gamma, bn.beta, bias]);
  const fresh = createBatchNorm(6);
  const y = biasBatchNormReluTrain(x, bias, fresh);
  assert.ok(maxAbsDiff(y, reference(x, tf.ones([6]), tf.zeros([6]), bias)) < 1e-5);
  // The running mean moved towards the mean of x + bias (momentum 0.1 from 0).
  assert.ok(maxAbsDiff(fresh.runningMean, tf.mul(tf.mean(tf.add(x, bias), [0, 1, 2]), 0.1)) < 1e-5);
  for (let i = 0; i < 4; i++)
    assert.ok(maxAbsDiff(ours[i], theirs[i]) < 1e-4, `gradient ${i}: ${maxAbsDiff(ours[i], theirs[i])}`);
  assert.ok(tf.max(tf.abs(ours[0])).dataSync()[0] > 0.01);
});
