// Child process of heapSimd.test.ts: the threaded wasm build (its heap is shared, which heapSimd.wasm needs) on 2
// threads with the heap-loop pool up. Runs BatchNorm forward and backward (with and without the fused ReLU) and
// leading-axis sums with the SIMD kernels on and off, on 2 threads and on 1, and prints one JSON line: the
// largest relative difference from the JavaScript loops per case, and how many loop parts ran on SIMD kernels in
// this thread and in the workers.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activateWasm } from '../../../src/trainer/engine/wasmBackend';
import { heapLoopCounts, heapPoolReady, heapSimdActive, setHeapLoopThreads, setHeapSimd, workerSimdParts } from '../../../src/trainer/engine/wasm/heapPool';
import { batchNormTrain } from '../../../src/trainer/engine/ops/batchNorm';
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
    const f = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, cb: tf.Tensor1D) => tf.sum(tf.mul(batchNormTrain(a, g, b, 1e-5, { bias: cb, relu }).y, r));
    const out = batchNormTrain(x, gamma, beta, 1e-5, { bias, relu });
    return [out.y, out.mean, out.variance, ...tf.grads(f as (...t: tf.Tensor[]) => tf.Tensor)([x, gamma, beta, bias])];
  };
  return { batchNorm: bn(false), batchNormRelu: bn(true), sum: () => [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1])] };
}

async function main(): Promise<void> {
  const started = await activateWasm(2);
  const backend = tf.backend() as BackendWasm;
  const ready = await heapPoolReady(backend);
  const simd = heapSimdActive(backend);
  const diffs: Record<string, number> = {};
  const simdParts: Record<string, { main: number; workers: number }> = {};
  for (const c of [40, 64, 37]) {
    for (const [name, run] of Object.entries(cases(c))) {
      for (const threads of [1, 2]) {
        setHeapLoopThreads(threads);
        setHeapSimd(false);
        const js = tf.tidy(run).map((t) => t.dataSync());
        setHeapSimd(true);
        const [main0, workers0] = [heapLoopCounts.simdParts, workerSimdParts()];
        const fast = tf.tidy(run).map((t) => t.dataSync());
        const key = `${name} c${c} t${threads}`;
        simdParts[key] = { main: heapLoopCounts.simdParts - main0, workers: workerSimdParts() - workers0 };
        diffs[key] = Math.max(...js.map((v, i) => relativeMaxError(fast[i], v)));
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ threads: started.threads, ready, simd, diffs, simdParts })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
