// Training-mode BatchNorm: output and gradients equal the textbook formula written out in elementary ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { batchNorm, createBatchNorm, BN_EPSILON } from '../../../src/trainer/model/batchNorm';
import { maxAbsDiff } from './wasm';

test('training BatchNorm matches (x - mean) / sqrt(biased var + eps) * gamma + beta, gradients included', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([3, 4, 5, 6], 2, 3, 'float32', 1) as tf.Tensor4D;
  const dy = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 2);
  const bn = createBatchNorm(6);
  bn.gamma.assign(tf.randomNormal([6], 1, 0.5, 'float32', 3));
  bn.beta.assign(tf.randomNormal([6], 0, 0.5, 'float32', 4));
  const reference = (x: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor) => {
    const mean = tf.mean(x, [0, 1, 2]);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), g), b);
  };
  const ours = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const v = { ...bn, gamma: g as tf.Variable<tf.Rank.R1>, beta: b as tf.Variable<tf.Rank.R1> };
    return tf.sum(tf.mul(batchNorm(x as tf.Tensor4D, v, true), dy));
  })([x, bn.gamma, bn.beta]);
  const theirs = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(reference(x as tf.Tensor4D, g, b), dy)))([x, bn.gamma, bn.beta]);
  const y = batchNorm(x, createBatchNorm(6), true);
  assert.ok(maxAbsDiff(y, reference(x, tf.ones([6]), tf.zeros([6]))) < 1e-5);
  for (let i = 0; i < 3; i++) assert.ok(maxAbsDiff(ours[i], theirs[i]) < 1e-4, `gradient ${i}: ${maxAbsDiff(ours[i], theirs[i])}`);
  assert.ok(tf.max(tf.abs(ours[0])).dataSync()[0] > 0.01);
});
