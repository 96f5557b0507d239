import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  deprocessImage,
  gaussianBlur,
  gaussianKernel1d,
  initialNoise,
  layerResponseFn,
  maximizeFilters,
  stepLength,
} from '../../../src/trainer/analyze';
import { fixedNet, useWasm } from './helpers';

const FASHION = { mean: [0.286], std: [0.353] };
before(useWasm);

test("the target filter's mean activation rises clearly over the gradient-ascent steps", async () => {
  const net = fixedNet();
  // Measured: filter 5 0.028 -> 0.265, 17 0.078 -> 2.07, 40 0.108 -> 0.313.
  const params = { lr: 1000, wd: 1e-5, sigma: 0.3, blurEvery: 5, iterations: 60, seed: 31 };
  const images = await maximizeFilters(net, 'conv2', [5, 17, 40], params, { normalization: FASHION, traceEvery: 10 });
  for (const img of images) {
    assert.equal(img.trace.length, 6);
    assert.equal(img.trace[0], img.activationStart);
    // Rising at every recorded point, and at least twice the start at the end.
    const path = [...img.trace, img.activationEnd];
    assert.ok(
      path.every((v, i) => i === 0 || v > path[i - 1]!),
      `filter ${img.filter}: ${path}`,
    );
    assert.ok(
      img.activationEnd > 2 * img.activationStart,
      `filter ${img.filter}: ${img.activationStart} -> ${img.activationEnd}`,
    );
    assert.equal(img.pixels.length, 16 * 16);
    assert.equal(img.usedPreBatchNorm, false);
  }
  // The objective is the cross-entropy against the other 63 filters: each target ends above its 1/64 share.
  assert.ok(
    images.every((i) => i.probabilityEnd > 1 / 64),
    images.map((i) => i.probabilityEnd).join(' '),
  );
  net.dispose();
});

test("a filter's image does not depend on the filters it is batched with", async () => {
  const net = fixedNet();
  const params = { lr: 300, wd: 1e-5, sigma: 0.3, blurEvery: 5, iterations: 8, seed: 31 };
  const [alone] = await maximizeFilters(net, 'conv1', [9], params, { normalization: FASHION });
  const both = await maximizeFilters(net, 'conv1', [2, 9], params, { normalization: FASHION });
  const err = Math.max(...alone!.pixels.map((v, i) => Math.abs(v - both[1]!.pixels[i]!)));
  assert.ok(err < 1e-2, `max difference ${err}`);
  net.dispose();
});

test('layer response equals ConvNet.convActivations (BatchNorm folded into an affine map)', () => {
  const net = fixedNet();
  const respond = layerResponseFn(net, 'conv3');
  const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const diff = tf.tidy(
    () => tf.max(tf.abs(tf.sub(respond(x).postRelu, net.convActivations(x, 'conv3')))).dataSync()[0]!,
  );
  assert.ok(diff < 1e-4, `max |difference| ${diff}`);
  assert.throws(() => layerResponseFn(net, 'conv9'), /unknown conv layer "conv9"; valid: conv1/);
  respond.dispose();
  net.dispose();
});

test('blur: scipy gaussian_filter weights (sigma 0.3, truncate 4) and reflect boundary', () => {
  const k = gaussianKernel1d(0.3);
  assert.equal(k.length, 3);
  assert.ok(Math.abs(k[0]! - 0.0038363) < 1e-6 && Math.abs(k[1]! - 0.9923274) < 1e-6, k.join(' '));
  assert.equal(gaussianKernel1d(1).length, 9);
  // A 3x3 image with a single bright pixel in the corner; reflect mode mirrors the edge pixel itself.
  const x = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
  const y = gaussianBlur(x, 0.3).dataSync();
  const a = k[0]!,
    b = k[1]!;
  assert.ok(Math.abs(y[0]! - (a + b) * (a + b)) < 1e-6, `corner ${y[0]}`);
  assert.ok(Math.abs(y[1]! - a * (a + b)) < 1e-6, `edge ${y[1]}`);
  assert.ok(Math.abs(y[8]!) < 1e-9, `far corner ${y[8]}`);
});

test('deprocess: mean 0.5, std 0.1 of 255, clipped, truncated to bytes; step length scales with the pixel count', () => {
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 50 + 128);
  const u = deprocessImage(x);
  const mean = u.reduce((s, v) => s + v, 0) / u.length;
  const std = Math.sqrt(u.reduce((s, v) => s + (v - mean) ** 2, 0) / u.length);
  assert.ok(Math.abs(mean - 127) < 1.5, `mean ${mean}`);
  assert.ok(Math.abs(std - 25.5) < 1, `std ${std}`);
  const outliers = deprocessImage([...new Array(98).fill(0), 1000, -1000]);
  assert.deepEqual([outliers[0], outliers[98], outliers[99]], [127, 255, 0]);
  assert.equal(stepLength(3, 224 * 224 * 3), 3);
  assert.ok(Math.abs(stepLength(3, 28 * 28) - 3 * Math.sqrt(784 / 150528)) < 1e-12);
  const noise = initialNoise(10000, 31, 4);
  const m = noise.reduce((s, v) => s + v, 0) / noise.length;
  const sd = Math.sqrt(noise.reduce((s, v) => s + (v - m) ** 2, 0) / noise.length);
  assert.ok(Math.abs(m - 128) < 1 && Math.abs(sd - 20) < 0.6, `noise ${m} +- ${sd}`);
  assert.deepEqual(initialNoise(8, 31, 4), initialNoise(8, 31, 4));
  assert.notDeepEqual(initialNoise(8, 31, 4), initialNoise(8, 31, 5));
});

test('a dead filter switches to the pre-BatchNorm conv output, as the official forward does', async () => {
  const net = fixedNet();
  // BatchNorm shift -1000: the filter's post-ReLU output is 0 on every input.
  const beta = net.namedWeights().get('bn2.beta')!;
  beta.assign(tf.tidy(() => tf.add(beta, tf.mul(tf.reshape(tf.oneHot([7], 64), [64]), -1000))));
  const params = { lr: 1000, wd: 1e-5, sigma: 0.3, blurEvery: 5, iterations: 20, seed: 31 };
  const respond = layerResponseFn(net, 'conv2');
  const start = initialNoise(256, 31, 7);
  const preMean = (pixels: Float32Array) =>
    tf.tidy(() => {
      const x = tf.div(
        tf.sub(tf.div(tf.tensor4d(pixels, [1, 16, 16, 1]), 255), FASHION.mean[0]!),
        FASHION.std[0]!,
      ) as tf.Tensor4D;
      return tf.mean(respond(x).preBatchNorm, [0, 1, 2]).dataSync()[7]!;
    });
  const [img] = await maximizeFilters(net, 'conv2', [7], params, { normalization: FASHION });
  assert.equal(img!.usedPreBatchNorm, true);
  assert.equal(img!.activationStart, 0);
  // The objective moved the pre-BN response of the filter up.
  assert.ok(preMean(img!.pixels) > preMean(start) + 0.1, `${preMean(start)} -> ${preMean(img!.pixels)}`);
  respond.dispose();
  net.dispose();
});
