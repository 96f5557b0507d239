// The linear probe of the paper's Table 1, at small scale: multinomial logistic regression on frozen features.
// Features are standardised with the training split's mean and std, then a [d, classes] softmax layer is fitted by
// full-batch Adam (500 steps, L2 1e-4) on the backend; the score is the accuracy on the held-out split.
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../model/ownedVariable';

export interface ProbeSplit {
  features: Float32Array;
  labels: Int32Array;
  n: number;
}

export interface LinearProbeOptions {
  steps?: number;
  learningRate?: number;
  l2?: number;
}

export async function linearProbeAccuracy(
  train: ProbeSplit,
  test: ProbeSplit,
  d: number,
  classes: number,
  opts: LinearProbeOptions = {},
): Promise<number> {
  const steps = opts.steps ?? 500;
  const l2 = opts.l2 ?? 1e-4;
  const { mean, std } = columnStats(train.features, train.n, d);
  const standardise = (s: ProbeSplit) =>
    tf.tidy(() => tf.div(tf.sub(tf.tensor2d(s.features, [s.n, d]), mean), std) as tf.Tensor2D);
  const xTrain = standardise(train);
  const yTrain = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), classes), 'float32'));
  const w = ownedVariable(tf.zeros([d, classes]));
  const b = ownedVariable(tf.zeros([classes]));
  const optimizer = tf.train.adam(opts.learningRate ?? 0.01);
  try {
    for (let i = 0; i < steps; i++) {
      tf.tidy(() => {
        optimizer.minimize(
          () => {
            const logits = tf.add(tf.matMul(xTrain, w), b);
            const ce = tf.neg(tf.mean(tf.sum(tf.mul(yTrain, tf.logSoftmax(logits)), 1)));
            return tf.add(ce, tf.mul(l2, tf.sum(tf.square(w)))) as tf.Scalar;
          },
          false,
          [w, b],
        );
      });
    }
    const xTest = standardise(test);
    const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xTest, w), b), 1));
    const p = await predicted.data();
    tf.dispose([xTest, predicted]);
    let correct = 0;
    for (let i = 0; i < test.n; i++) if (p[i] === test.labels[i]) correct++;
    return test.n ? correct / test.n : 0;
  } finally {
    optimizer.dispose();
    tf.dispose([xTrain, yTrain, w, b, mean, std]);
  }
}

function columnStats(x: Float32Array, n: number, d: number): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      sum[j] += v;
      sq[j] += v * v;
    }
  }
  const mean = Float32Array.from(sum, (s) => s / Math.max(1, n));
  const std = Float32Array.from(sq, (q, j) =>
    Math.max(1e-6, Math.sqrt(Math.max(0, q / Math.max(1, n) - mean[j] ** 2))),
  );
  return { mean: tf.tensor1d(mean), std: tf.tensor1d(std) };
}
