// One training step of DeepCluster: cross-entropy of the top layer's logits against the pseudo-labels, backward
// through the whole net, then both SGD updates (body with momentum, top without).
//
// Micro-batches: when `microBatch` < batch size, the batch is processed in slices and the gradients are summed,
// each slice's loss being its summed cross-entropy divided by the FULL batch size. The summed gradient is then
// exactly the full-batch mean gradient, except for BatchNorm: its statistics (and the running-statistics update,
// done once per slice) come from each micro-batch rather than from the whole batch. Dropout masks are drawn per
// slice, which does not change their distribution.
import * as tf from '@tensorflow/tfjs-core';
import { webgpuChecked } from '../engine/webgpuGuard';
import type { ConvNet } from '../model/types';
import type { Sgd } from './sgd';

export interface Optimizers {
  body: Sgd;
  top: Sgd;
}

export interface StepOptions {
  /** Largest slice run through the backend at once; default: the whole batch. */
  microBatch?: number;
}

/** Sum over the batch of -log softmax(logits)[label]. oneHot keeps the backward pass free of scatter kernels. */
export function summedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const target = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.sum(tf.mul(target, logProbs))) as tf.Scalar;
  });
}

/**
 * Runs forward + backward on `x` (NHWC, normalised) against `labels` (int cluster ids) and applies both
 * optimizers. Returns the batch's mean cross-entropy (before the update).
 */
export function trainStep(
  model: ConvNet,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  optimizers: Optimizers,
  options: StepOptions = {},
): Promise<number> {
  // On webgpu a Dawn error inside the step aborts it (one line naming the op) instead of returning garbage.
  return webgpuChecked('training step', () => uncheckedTrainStep(model, x, labels, optimizers, options));
}

async function uncheckedTrainStep(
  model: ConvNet,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  optimizers: Optimizers,
  options: StepOptions,
): Promise<number> {
  const n = x.shape[0];
  if (labels.shape[0] !== n) throw new Error(`trainStep: ${n} images but ${labels.shape[0]} labels`);
  const micro = Math.max(1, Math.min(options.microBatch ?? n, n));
  const bodyVars = optimizers.body.variables();
  const topVars = optimizers.top.variables();
  const vars = [...bodyVars, ...topVars];

  let gradSums: tf.Tensor[] | null = null;
  let lossSum: tf.Scalar | null = null;
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const { value, grads } = tf.tidy(() => {
      const xs = size === n ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const ys = size === n ? labels : tf.slice(labels, [start], [size]);
      return tf.variableGrads(() => tf.div(summedCrossEntropy(model.logits(xs, true), ys), n) as tf.Scalar, vars);
    });
    const ordered = vars.map((v) => {
      const g = grads[v.name];
      if (!g) throw new Error(`trainStep: no gradient for variable ${v.name}`);
      return g;
    });
    if (gradSums === null) {
      gradSums = ordered;
      lossSum = value;
    } else {
      const previous: tf.Tensor[] = gradSums;
      gradSums = previous.map((s, i) => tf.add(s, ordered[i]));
      const previousLoss: tf.Scalar = lossSum!;
      lossSum = tf.add(previousLoss, value) as tf.Scalar;
      tf.dispose([...previous, ...ordered, previousLoss, value]);
    }
  }
  optimizers.body.step(gradSums!.slice(0, bodyVars.length));
  optimizers.top.step(gradSums!.slice(bodyVars.length));
  const loss = (await lossSum!.data())[0];
  tf.dispose([...gradSums!, lossSum!]);
  return loss;
}
