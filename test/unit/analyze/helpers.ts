// Shared setup for the analysis tests: the wasm engine and a fixed, seeded smallvgg.
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../../src/trainer/engine';
import { createModel, type ConvNet } from '../../../src/trainer/model';
import type { EvalSource } from '../../../src/trainer/analyze';

let ready: Promise<unknown> | undefined;
export function useWasm(): Promise<unknown> {
  ready ??= initEngine('wasm');
  return ready;
}

/** smallvgg at 16 px, grey input, Sobel on, seed 7; its BatchNorm running statistics set to non-trivial values. */
export function fixedNet(): ConvNet {
  const net = createModel({ arch: 'smallvgg', inputSize: 16, inputChannels: 1, sobel: true, seed: 7 });
  for (const [name, v] of net.namedWeights()) {
    if (name.endsWith('runningMean')) v.assign(tf.mul(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 11), 1));
    if (name.endsWith('runningVar')) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 12));
  }
  return net;
}

/** n normalised images of 16x16x1 from a seeded generator, served like Dataset.evalBatch. */
export function fakeImages(n: number, seed = 3): EvalSource & { all: tf.Tensor4D } {
  const all = tf.randomNormal([n, 16, 16, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
  return {
    size: n,
    all,
    evalBatch: async (idx) => tf.gather(all, Array.from(idx)) as tf.Tensor4D,
  };
}
