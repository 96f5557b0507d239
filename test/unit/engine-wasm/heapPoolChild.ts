// Child process of heapPool.test.ts: the threaded wasm build (2 XNNPACK threads) with the heap-loop pool running,
// so every JavaScript kernel splits its loop in two. Prints one JSON line: for each kernel, the largest difference
// between its result on 2 threads and on the calling thread alone, how many of its loops were split, and whether
// the pool was up.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activateWasm } from '../../../src/trainer/engine/wasmBackend';
import { heapLoopCounts, heapPoolReady, setHeapLoopThreads } from '../../../src/trainer/engine/wasm/heapPool';
import { batchNormTrain } from '../../../src/trainer/engine/ops/batchNorm';
import { randomValues } from './backends';

async function main(): Promise<void> {
  const started = await activateWasm(2);
  const ready = await heapPoolReady(tf.backend() as BackendWasm);
  // Big enough to be split (the pool leaves loops under 65 536 elements to the calling thread); odd sizes.
  const shape: [number, number, number, number] = [9, 23, 21, 37];
  const x = tf.tensor4d(randomValues(9 * 23 * 21 * 37, 5), shape);
  const gamma = tf.tensor1d(randomValues(37, 6));
  const beta = tf.tensor1d(randomValues(37, 7));
  const r = tf.tensor4d(randomValues(9 * 23 * 21 * 37, 8), shape);
  const kernels: Record<string, () => tf.Tensor[]> = {
    batchNorm: () => {
      const f = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.sum(tf.mul(batchNormTrain(a, g, b, 1e-5).y, r));
      return [
        batchNormTrain(x, gamma, beta, 1e-5).y,
        ...tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, gamma, beta]),
      ];
    },
    sum: () => [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1])],
    maxPoolGrad: () => [
      tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'))(
        x,
        tf.onesLike(tf.maxPool(x, 3, 2, 'same')),
      ),
    ],
    filterGradient: () => {
      const w = tf.tensor4d(randomValues(3 * 3 * 37 * 5, 9), [3, 3, 37, 5]);
      return [
        tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same'))(
          w,
          tf.tensor4d(randomValues(9 * 23 * 21 * 5, 10), [9, 23, 21, 5]),
        ),
      ];
    },
  };
  const diffs: Record<string, number> = {};
  const split: Record<string, number> = {};
  for (const [name, run] of Object.entries(kernels)) {
    setHeapLoopThreads(2);
    const before = heapLoopCounts.split;
    const two = tf.tidy(run).map((t) => t.dataSync());
    split[name] = heapLoopCounts.split - before;
    setHeapLoopThreads(1);
    const one = tf.tidy(run).map((t) => t.dataSync());
    let diff = 0;
    one.forEach((o, i) => o.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - two[i][j]) / (1 + Math.abs(v))))));
    diffs[name] = diff;
  }
  process.stdout.write(`${JSON.stringify({ threads: started.threads, ready, diffs, split })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
