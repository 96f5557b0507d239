// The training step the wasm kernel benchmarks time: smallvgg with Sobel at the peer's setting (grey input, 100
// clusters, the official SGD settings), one random batch trained on again and again.
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../trainer/model';
import type { ConvNet } from '../trainer/model/types';
import { bodyOptimizer, topOptimizer } from '../trainer/train/sgd';
import { trainStep } from '../trainer/train/step';

export interface SmallvggStep {
  model: ConvNet;
  /** The batch [batch, size, size, 1]. */
  x: tf.Tensor4D;
  /** One training step on the batch; resolves with its milliseconds. */
  step(): Promise<number>;
  dispose(): void;
}

export function smallvggStep(batch: number, size: number): SmallvggStep {
  const model = createModel({ arch: 'smallvgg', inputSize: size, inputChannels: 1, sobel: true, seed: 1 });
  model.resetTopLayer(100, 2);
  const optimizers = {
    body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-5 }),
    top: topOptimizer(model, { lr: 0.05, weightDecay: 1e-5 }),
  };
  const x = tf.randomNormal([batch, size, size, 1]) as tf.Tensor4D;
  const labels = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 100),
    'int32',
  );
  return {
    model,
    x,
    step: async () => {
      const t0 = performance.now();
      await trainStep(model, x, labels, optimizers, { microBatch: batch });
      return performance.now() - t0;
    },
    dispose: () => {
      tf.dispose([x, labels]);
      optimizers.body.dispose();
      optimizers.top.dispose();
      model.dispose();
    },
  };
}
