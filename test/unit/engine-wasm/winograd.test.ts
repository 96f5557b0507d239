// 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) in our SIMD module (conv2dWinograd.ts) against the cpu
// backend: plain and fused (bias, ReLU) forward convolutions over odd sizes (partial tiles at the right and bottom),
// paddings (same, valid, explicit and uneven), channel counts, and the input gradient that reuses the route.
// Tolerance: max |wasm - cpu| <= 2e-5 * (1 + max |cpu|), as the other convolution tests (the transforms add a few
// float32 roundings per term; a wrong index or sign gives O(1)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { heapSimdActive } from '../../../src/trainer/engine/wasm/heapPool';
import { setWinograd, winogradCounts } from '../../../src/trainer/engine/wasm/conv2dWinograd';
import { randomValues, relativeMaxError, useBackend } from './backends';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  pad: Pad;
}

const TOLERANCE = 2e-5;

const cases: Case[] = [
  { n: 2, h: 7, w: 9, ci: 4, co: 8, pad: 'same' },
  { n: 1, h: 8, w: 8, ci: 4, co: 16, pad: 'same' },
  { n: 3, h: 5, w: 6, ci: 8, co: 8, pad: 'valid' },
  { n: 2, h: 1, w: 1, ci: 4, co: 8, pad: 'same' },
  { n: 2, h: 3, w: 3, ci: 4, co: 8, pad: 'valid' },
  {
    n: 2,
    h: 6,
    w: 7,
    ci: 12,
    co: 24,
    pad: [
      [0, 0],
      [0, 2],
      [2, 1],
      [0, 0],
    ],
  },
  // As smallvgg: conv2 at 28 px and conv5 at 7 px (tiles past the edge), with more tiles than one block.
  { n: 4, h: 28, w: 28, ci: 64, co: 64, pad: 'same' },
  { n: 5, h: 7, w: 7, ci: 128, co: 256, pad: 'same' },
  // As VGG16's last blocks: 512 channels, the smallest block of tiles.
  { n: 2, h: 4, w: 5, ci: 512, co: 512, pad: 'same' },
];

function run(c: Case, fused: boolean): { y: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(randomValues(9 * c.ci * c.co, 2), [3, 3, c.ci, c.co]);
    const bias = tf.tensor1d(randomValues(c.co, 3));
    const y = fused
      ? tf.fused.conv2d({ x, filter: w, strides: 1, pad: c.pad, bias, activation: 'relu' })
      : tf.conv2d(x, w, 1, c.pad);
    return { y: y.dataSync() as Float32Array, shape: y.shape };
  });
}

test('Winograd convolutions (plain and with bias + ReLU) match the cpu backend', async () => {
  await useBackend('wasm');
  assert.ok(heapSimdActive(tf.backend() as tfWasm.BackendWasm), 'the SIMD module did not load (npm run build)');
  for (const c of cases) {
    for (const fused of [false, true]) {
      await useBackend('cpu');
      const ref = run(c, fused);
      await useBackend('wasm');
      const before = winogradCounts.calls;
      const got = run(c, fused);
      const label = `${JSON.stringify(c)} fused ${fused}`;
      assert.equal(winogradCounts.calls, before + 1, `not on the Winograd route: ${label}`);
      assert.deepEqual(got.shape, ref.shape, label);
      const e = relativeMaxError(got.y, ref.y);
      assert.ok(e <= TOLERANCE, `error ${e} for ${label}`);
    }
  }
});

test('the input gradient of a 3x3 stride-1 convolution takes the route and matches cpu', async () => {
  const c = { n: 2, h: 9, w: 10, ci: 16, co: 8 };
  const grad = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.ci, 4), [c.n, c.h, c.w, c.ci]);
      const w = tf.variable(tf.tensor4d(randomValues(9 * c.ci * c.co, 5), [3, 3, c.ci, c.co]));
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w, 1, 'same'))))(x);
      w.dispose();
      return dx.dataSync() as Float32Array;
    });
  await useBackend('cpu');
  const ref = grad();
  await useBackend('wasm');
  const before = winogradCounts.calls;
  const got = grad();
  // The forward convolution and the input gradient (C = 8 out channels, K = 16 in channels).
  assert.equal(winogradCounts.calls, before + 2);
  const e = relativeMaxError(got, ref);
  assert.ok(e <= TOLERANCE, `dx error ${e}`);
});

test('other geometries stay on XNNPACK, and switching the route off gives the same numbers', async () => {
  await useBackend('wasm');
  const before = winogradCounts.calls;
  tf.tidy(() => {
    const x = tf.tensor4d(randomValues(2 * 9 * 9 * 4, 6), [2, 9, 9, 4]);
    tf.conv2d(x, tf.ones([3, 3, 4, 8]) as tf.Tensor4D, 2, 'same').dataSync(); // stride 2
    tf.conv2d(x, tf.ones([5, 5, 4, 8]) as tf.Tensor4D, 1, 'same').dataSync(); // 5x5
    tf.conv2d(x, tf.ones([3, 3, 4, 6]) as tf.Tensor4D, 1, 'same').dataSync(); // 6 out channels
  });
  assert.equal(winogradCounts.calls, before);
  const c = cases[6];
  const on = run(c, true);
  const previous = setWinograd(false);
  const off = run(c, true);
  setWinograd(previous);
  assert.equal(winogradCounts.calls, before + 1);
  assert.ok(relativeMaxError(on.y, off.y) <= TOLERANCE);
});

test('Winograd filter gradients match the cpu backend (partial tiles, paddings, several chunks)', async () => {
  const dW = (c: Case) =>
    tf.tidy(() => {
      const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.ci, 7), [c.n, c.h, c.w, c.ci]);
      const w = tf.tensor4d(randomValues(9 * c.ci * c.co, 8), [3, 3, c.ci, c.co]);
      const outShape = tf.conv2d(x, w, 1, c.pad).shape;
      const dy = tf.tensor4d(randomValues(outShape[0] * outShape[1] * outShape[2] * outShape[3], 9), outShape);
      const g = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, c.pad))(w, dy);
      return g.dataSync() as Float32Array;
    });
  for (const c of cases) {
    await useBackend('cpu');
    const ref = dW(c);
    await useBackend('wasm');
    const before = winogradCounts.filterGradients;
    const got = dW(c);
    assert.equal(winogradCounts.filterGradients, before + 1, `not on the Winograd route: ${JSON.stringify(c)}`);
    const e = relativeMaxError(got, ref);
    assert.ok(e <= TOLERANCE, `dW error ${e} for ${JSON.stringify(c)}`);
  }
});
