// MaxPoolGrad, BatchMatMul with transposes and Sum/Mean over leading axes on wasm against the cpu backend.
// Tolerance: max |wasm - cpu| <= 2e-5 * (1 + max |cpu|).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { randomValues, relativeMaxError, useBackend } from './backends';

const TOLERANCE = 2e-5;

async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  await useBackend('cpu');
  const ref = tf.tidy(f);
  const cpu = ref.dataSync() as Float32Array;
  ref.dispose();
  await useBackend('wasm');
  const got = tf.tidy(f);
  const wasm = got.dataSync() as Float32Array;
  assert.deepEqual(got.shape, ref.shape);
  got.dispose();
  return { cpu, wasm, shape: ref.shape };
}

function t4(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tensor4d(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

test('MaxPoolGrad matches cpu: 2x2/2, 3x3/2 overlapping, same padding, odd sizes', async () => {
  const cases: Array<{ shape: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same' }> =
    [
      { shape: [2, 8, 8, 5], size: 2, stride: 2, pad: 'valid' },
      { shape: [2, 13, 11, 3], size: 3, stride: 2, pad: 'valid' },
      { shape: [1, 9, 7, 4], size: 3, stride: 2, pad: 'same' },
      { shape: [3, 7, 7, 1], size: 2, stride: 1, pad: 'same' },
      // Channels in fours: the SIMD module's loop.
      { shape: [2, 9, 9, 8], size: 3, stride: 2, pad: 'same' },
      { shape: [2, 8, 8, 4], size: 2, stride: 2, pad: 'valid' },
    ];
  for (const c of cases) {
    const { cpu, wasm } = await onBoth(() => {
      const x = t4(c.shape, 21);
      const pooled = tf.maxPool(x, c.size, c.stride, c.pad);
      const dy = tf.tensor(randomValues(pooled.size, 22), pooled.shape);
      return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad))(x, dy as tf.Tensor4D);
    });
    const err = relativeMaxError(wasm, cpu);
    assert.ok(err <= TOLERANCE, `error ${err} for ${JSON.stringify(c)}`);
  }
});

test('MaxPoolGrad routes ties to the first maximum, like cpu', async () => {
  const { cpu, wasm } = await onBoth(() => {
    const x = tf.tensor4d([1, 1, 1, 1, 0, 1, 1, 0], [1, 2, 4, 1]);
    return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))(
      x,
      tf.tensor4d([1, 10], [1, 1, 2, 1]),
    );
  });
  assert.deepEqual(Array.from(wasm), Array.from(cpu));
  assert.deepEqual(Array.from(wasm), [1, 0, 10, 0, 0, 0, 0, 0]);
  // The same ties in 4 channels (the SIMD loop): channel j holds the pattern times j + 1.
  const four = await onBoth(() => {
    const x = tf.mul(tf.tensor4d([1, 1, 1, 1, 0, 1, 1, 0], [1, 2, 4, 1]), tf.tensor1d([1, 2, 3, 4])) as tf.Tensor4D;
    return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))(
      x,
      tf.ones([1, 1, 2, 4]) as tf.Tensor4D,
    );
  });
  assert.deepEqual(Array.from(four.wasm), Array.from(four.cpu));
});

test('BatchMatMul with transposes (dense-layer gradients) matches cpu', async () => {
  for (const [ta, tb] of [
    [true, false],
    [false, true],
    [true, true],
    [false, false],
  ]) {
    const { cpu, wasm } = await onBoth(() => {
      const a = tf.tensor2d(randomValues(37 * 53, 31), ta ? [53, 37] : [37, 53]);
      const b = tf.tensor2d(randomValues(53 * 29, 32), tb ? [29, 53] : [53, 29]);
      return tf.matMul(a, b, ta, tb);
    });
    const err = relativeMaxError(wasm, cpu);
    assert.ok(err <= TOLERANCE, `error ${err} for transposeA=${ta} transposeB=${tb}`);
  }
  // A large right operand (dx = dy.W^T of a wide dense layer) is computed as (W.dy^T)^T.
  for (const [ta, tb] of [
    [false, true],
    [true, true],
  ]) {
    const { cpu, wasm } = await onBoth(() => {
      const a = tf.tensor2d(randomValues(4 * 300, 35), ta ? [300, 4] : [4, 300]);
      const b = tf.tensor2d(randomValues(300 * 500, 36), tb ? [500, 300] : [300, 500]);
      return tf.matMul(a, b, ta, tb);
    });
    const err = relativeMaxError(wasm, cpu);
    assert.ok(err <= TOLERANCE, `swapped product: error ${err} for transposeA=${ta} transposeB=${tb}`);
  }
  // Batched products keep the wasm backend's own kernel.
  const { cpu, wasm } = await onBoth(() =>
    tf.matMul(
      tf.tensor3d(randomValues(2 * 5 * 6, 33), [2, 6, 5]),
      tf.tensor3d(randomValues(2 * 6 * 4, 34), [2, 6, 4]),
      true,
      false,
    ),
  );
  assert.ok(relativeMaxError(wasm, cpu) <= TOLERANCE);
});

test('Sum and Mean over leading axes (and others) match cpu', async () => {
  const shape: [number, number, number, number] = [8, 16, 16, 24];
  const cases: Array<[number[], boolean]> = [
    [[0, 1, 2], false],
    [[0, 1, 2], true],
    [[0], false],
    [[2, 0, 1], false],
    [[1, 2], false],
    [[3], true],
    [[0, 1, 2, 3], false],
  ];
  for (const [axes, keepDims] of cases) {
    for (const op of [tf.sum, tf.mean]) {
      const { cpu, wasm, shape: outShape } = await onBoth(() => op(tf.add(t4(shape, 41), 0.5), axes, keepDims));
      const err = relativeMaxError(wasm, cpu);
      assert.ok(
        err <= TOLERANCE,
        `${op === tf.sum ? 'sum' : 'mean'} over ${axes} keepDims=${keepDims}: error ${err}, shape ${outShape}`,
      );
    }
  }
});
