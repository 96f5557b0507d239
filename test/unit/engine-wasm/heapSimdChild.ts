// Child process of heapSimd.test.ts: the threaded wasm build (its heap is shared, which heapSimd.wasm needs) on 2
// threads with the heap-loop pool up. Runs BatchNorm forward and backward (with and without the fused ReLU),
// leading-axis sums, conv filter gradients and max-pool gradients with the SIMD kernels on and off (off: the
// JavaScript loops, and for the filter gradient im2col x XNNPACK, both checked against the cpu backend in their
// own tests), on 2 threads and on 1, and prints one JSON line: the largest relative difference from the
// JavaScript routes per case, and how many loop parts ran on SIMD kernels in this thread and in the workers.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activateWasm } from '../../../src/trainer/engine/wasmBackend';
import {
  heapLoopCounts,
  heapPoolReady,
  heapSimdActive,
  setHeapLoopThreads,
  setHeapSimd,
  workerSimdParts,
} from '../../../src/trainer/engine/wasm/heapPool';
import { batchNormTrain } from '../../../src/trainer/engine/ops/batchNorm';
import { setWinograd } from '../../../src/trainer/engine/wasm/conv2dWinograd';
import { randomValues, relativeMaxError } from './backends';

function cases(c: number): Record<string, () => tf.Tensor[]> {
  // Odd spatial sizes, an offset mean and uneven scale (as conv outputs have); big enough for the pool to split.
  const shape: [number, number, number, number] = [9, 23, 21, c];
  const size = 9 * 23 * 21 * c;
  const x = tf.add(tf.mul(tf.tensor4d(randomValues(size, 5), shape), 3), 2) as tf.Tensor4D;
  const gamma = tf.tensor1d(randomValues(c, 6));
  const beta = tf.tensor1d(randomValues(c, 7));
  const bias = tf.tensor1d(randomValues(c, 9));
  const r = tf.tensor4d(randomValues(size, 8), shape);
  const bn = (relu: boolean) => (): tf.Tensor[] => {
    const f = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, cb: tf.Tensor1D) =>
      tf.sum(tf.mul(batchNormTrain(a, g, b, 1e-5, { bias: cb, relu }).y, r));
    const out = batchNormTrain(x, gamma, beta, 1e-5, { bias, relu });
    return [out.y, out.mean, out.variance, ...tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, gamma, beta, bias])];
  };
  return { batchNorm: bn(false), batchNormRelu: bn(true), sum: () => [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1])] };
}

/** Conv filter gradients over a grid of geometries: strides 1, 2 and 4 (AlexNet's conv1), same/valid/explicit
 *  padding, 1x1 to 11x11 filters, input channels not in fours; out channels 12 have no SIMD route. */
function filterGradientCases(): Record<string, () => tf.Tensor[]> {
  type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
  const grid: Array<[string, [number, number, number, number], number, number, number, Pad]> = [
    ['3x3/1 same ci3 co8', [2, 9, 11, 3], 3, 8, 1, 'same'],
    ['3x3/2 same ci5 co16', [3, 12, 10, 5], 3, 16, 2, 'same'],
    ['11x11/4 pad2 ci3 co8', [2, 31, 29, 3], 11, 8, 4, 2],
    ['3x3/1 same ci64 co64', [4, 7, 7, 64], 3, 64, 1, 'same'],
    ['5x5/1 valid ci2 co24', [2, 8, 8, 2], 5, 24, 1, 'valid'],
    ['1x1/1 valid ci4 co8', [1, 6, 6, 4], 1, 8, 1, 'valid'],
    ['3x3/1 same ci8 co12', [2, 9, 9, 8], 3, 12, 1, 'same'],
    ['3x3/1 same ci16 co32, split', [8, 16, 16, 16], 3, 32, 1, 'same'],
    // Padding only after the image: the last taps of a 5-wide filter never touch the 3 input columns.
    [
      '5x5/4 pad after ci4 co8',
      [2, 3, 3, 4],
      5,
      8,
      4,
      [
        [0, 0],
        [0, 4],
        [0, 4],
        [0, 0],
      ],
    ],
  ];
  const out: Record<string, () => tf.Tensor[]> = {};
  grid.forEach(([name, shape, k, co, stride, pad], i) => {
    const x = tf.tensor4d(
      randomValues(
        shape.reduce((a, b) => a * b, 1),
        20 + i,
      ),
      shape,
    );
    const w = tf.tensor4d(randomValues(k * k * shape[3] * co, 40 + i), [k, k, shape[3], co]);
    const y = tf.conv2d(x, w, stride, pad);
    const dy = tf.tensor4d(randomValues(y.size, 60 + i), y.shape as [number, number, number, number]);
    const info = tf.backend_util.computeConv2DInfo(shape, [k, k, shape[3], co], stride, 1, pad);
    oracle[`filterGradient ${name}`] = naiveFilterGradient(
      x.dataSync(),
      dy.dataSync(),
      shape,
      y.shape,
      k,
      stride,
      info.padInfo.top,
      info.padInfo.left,
    );
    out[`filterGradient ${name}`] = () => [
      tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, stride, pad))(w, dy),
    ];
  });
  return out;
}

/** Max-pool gradients: 2x2/2, overlapping 3x3/2 'same' windows, odd sizes, and ties (a quantised input) that
 *  must go to the first maximum; 6 channels have no SIMD route. */
function maxPoolCases(): Record<string, () => tf.Tensor[]> {
  const grid: Array<[string, [number, number, number, number], number, number, 'same' | 'valid', number]> = [
    ['2x2/2 c8', [3, 10, 12, 8], 2, 2, 'valid', 0],
    ['3x3/2 same c16, odd', [4, 13, 11, 16], 3, 2, 'same', 0],
    ['3x3/2 same c8, ties', [2, 9, 9, 8], 3, 2, 'same', 1],
    ['3x3/2 same c6', [2, 9, 9, 6], 3, 2, 'same', 0],
    ['2x2/2 c64, split', [16, 28, 28, 64], 2, 2, 'valid', 0],
  ];
  const out: Record<string, () => tf.Tensor[]> = {};
  grid.forEach(([name, shape, k, s, pad, ties], i) => {
    const values = randomValues(
      shape.reduce((a, b) => a * b, 1),
      80 + i,
    );
    const x = tf.tensor4d(ties ? values.map((v) => Math.round(v * 2)) : values, shape);
    const y = tf.maxPool(x, k, s, pad);
    const dy = tf.tensor4d(randomValues(y.size, 90 + i), y.shape as [number, number, number, number]);
    out[`maxPoolGrad ${name}`] = () => [tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, s, pad))(x, dy)];
  });
  return out;
}

/** The textbook sum, in float64: an oracle independent of both routes. */
const oracle: Record<string, Float64Array> = {};
function naiveFilterGradient(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  [n, H, W, ci]: number[],
  [, OH, OW, co]: number[],
  k: number,
  s: number,
  top: number,
  left: number,
): Float64Array {
  const dw = new Float64Array(k * k * ci * co);
  for (let b = 0; b < n; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            const [ih, iw] = [oh * s + kh - top, ow * s + kw - left];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((b * H + ih) * W + iw) * ci + c];
              for (let o = 0; o < co; o++)
                dw[((kh * k + kw) * ci + c) * co + o] += xv * dy[((b * OH + oh) * OW + ow) * co + o];
            }
          }
      }
  return dw;
}

async function main(): Promise<void> {
  // The forward convolutions inside tf.grad stay on XNNPACK, so the counts below are the loops under test alone
  // (the Winograd route has its own test, winograd.test.ts).
  setWinograd(false);
  const started = await activateWasm(2);
  const backend = tf.backend() as BackendWasm;
  const ready = await heapPoolReady(backend);
  const simd = heapSimdActive(backend);
  const diffs: Record<string, number> = {};
  const simdParts: Record<string, { main: number; workers: number }> = {};
  const all = [40, 64, 37].flatMap((c) =>
    Object.entries(cases(c)).map(([name, run]) => [`${name} c${c}`, run] as const),
  );
  for (const [name, run] of [...all, ...Object.entries(filterGradientCases()), ...Object.entries(maxPoolCases())]) {
    for (const threads of [1, 2]) {
      setHeapLoopThreads(threads);
      setHeapSimd(false);
      const js = tf.tidy(run).map((t) => t.dataSync());
      setHeapSimd(true);
      const [main0, workers0] = [heapLoopCounts.simdParts, workerSimdParts()];
      const fast = tf.tidy(run).map((t) => t.dataSync());
      const key = `${name} t${threads}`;
      simdParts[key] = { main: heapLoopCounts.simdParts - main0, workers: workerSimdParts() - workers0 };
      diffs[key] = Math.max(...js.map((v, i) => relativeMaxError(fast[i], v)));
      if (oracle[name]) diffs[`${key} vs float64 oracle`] = relativeMaxError(fast[0], oracle[name]);
    }
  }
  process.stdout.write(`${JSON.stringify({ threads: started.threads, ready, simd, diffs, simdParts })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
