// The wasm Conv2DBackpropFilter (the SIMD module's direct kernel, and im2col chunks on XNNPACK's GEMM) and
// Conv2DBackpropInput (a conv2d rewrite) against the cpu backend's reference kernels, both reached through
// tf.grads of conv2d, over strides, paddings, odd sizes, channel counts and kernel sizes. Tolerance: max |wasm - cpu| <= 2e-5 * (1 + max |cpu|) (float32 sums of up to ~5000 terms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { setFilterGradientChunkFloats } from '../../../src/trainer/engine/wasm/conv2dBackpropFilter';
import { heapSimdActive, setHeapSimd } from '../../../src/trainer/engine/wasm/heapPool';
import { randomValues, relativeMaxError, useBackend } from './backends';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}

const TOLERANCE = 2e-5;

async function convGrads(
  backend: 'cpu' | 'wasm',
  c: Case,
): Promise<{ dx: Float32Array; dw: Float32Array; shape: number[] }> {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
    const w = tf.tensor4d(randomValues(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]);
    const outShape = tf.conv2d(x, w, c.s, c.pad).shape;
    const dy = tf.tensor4d(
      randomValues(
        outShape.reduce((a, b) => a * b, 1),
        3,
      ),
      outShape,
    );
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad),
    )([x, w], dy);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array, shape: outShape };
  });
}

function grid(): Case[] {
  const cases: Case[] = [];
  const pads: Pad[] = [
    'same',
    'valid',
    [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  ];
  let i = 0;
  for (const k of [1, 3, 5, 11]) {
    for (const s of [1, 2, 4]) {
      for (const pad of pads) {
        // Odd sizes the stride does not divide; channel counts alternate between 1 and several.
        const h = k + 2 * s + 4 + (i % 3);
        const w = k + 3 * s + 1;
        // Out channels in eights take the SIMD route, the others im2col.
        const [ci, co] = [
          [1, 6],
          [5, 8],
          [3, 4],
          [2, 16],
        ][i % 4];
        cases.push({ n: 2, h, w, ci, co, k, s, pad });
        i++;
      }
    }
  }
  // Many channels, as in the real nets (smallvgg conv2, AlexNet conv1 at a small size).
  cases.push({ n: 3, h: 9, w: 9, ci: 32, co: 48, k: 3, s: 1, pad: 'same' });
  cases.push({
    n: 2,
    h: 35,
    w: 35,
    ci: 3,
    co: 16,
    k: 11,
    s: 4,
    pad: [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  });
  return cases;
}

test('wasm conv2d gradients match the cpu backend over the grid, with and without the SIMD module', async () => {
  await useBackend('wasm');
  assert.ok(heapSimdActive(tf.backend() as tfWasm.BackendWasm), 'the SIMD module did not load (npm run build)');
  for (const [c, simd] of grid().flatMap(
    (c) =>
      [
        [c, true],
        [c, false],
      ] as const,
  )) {
    const ref = await convGrads('cpu', c);
    const previous = setHeapSimd(simd);
    const got = await convGrads('wasm', c).finally(() => setHeapSimd(previous));
    const label = `${JSON.stringify(c)} simd ${simd}`;
    assert.deepEqual(got.shape, ref.shape, label);
    const ex = relativeMaxError(got.dx, ref.dx);
    const ew = relativeMaxError(got.dw, ref.dw);
    assert.ok(ex <= TOLERANCE, `dx error ${ex} for ${label}`);
    assert.ok(ew <= TOLERANCE, `dW error ${ew} for ${label}`);
  }
});

test('the filter gradient summed over several pixel chunks (the last one shorter) equals cpu', async () => {
  // 45 x 16 floats: with 3x3x5 = 45 im2col rows that is 16 pixels a chunk (126 and 60 pixels: 8 and 4 chunks).
  const previous = setFilterGradientChunkFloats(45 * 16);
  try {
    for (const c of [
      { n: 2, h: 7, w: 9, ci: 5, co: 3, k: 3, s: 1, pad: 'same' },
      { n: 3, h: 11, w: 10, ci: 5, co: 4, k: 3, s: 2, pad: 'valid' },
    ] as Case[]) {
      const ref = await convGrads('cpu', c);
      const got = await convGrads('wasm', c);
      const ew = relativeMaxError(got.dw, ref.dw);
      assert.ok(ew <= TOLERANCE, `dW error ${ew} for ${JSON.stringify(c)}`);
    }
  } finally {
    setFilterGradientChunkFloats(previous);
  }
});

test('the registered kernels leak no tensors and replace the wasm defaults', async () => {
  await useBackend('wasm');
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm') != null, true);
  const x = tf.tensor4d(randomValues(2 * 10 * 10 * 3, 4), [2, 10, 10, 3]);
  const w = tf.tensor4d(randomValues(3 * 3 * 3 * 5, 5), [3, 3, 3, 5]);
  const before = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
  )([x, w]);
  assert.equal(tf.memory().numTensors, before + 2);
  assert.equal(tf.engine().backend.numDataIds(), dataBefore + 2);
  tf.dispose([x, w, dx, dw]);
});

test('dilations other than 1 are refused with a clear error', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 5, 5, 1]);
  const dy = tf.zeros([1, 5, 5, 1]);
  assert.throws(
    () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 1, 1],
        dilations: 2,
      } as never),
    /dilations other than 1 are not supported/,
  );
  tf.dispose([x, dy]);
});
