// BatchNorm2d with PyTorch's semantics: eps 1e-5; in training, normalise with the biased batch variance and move
// the running statistics by momentum 0.1 using the unbiased one; in eval, use the running statistics.
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './ownedVariable';
// Training-mode normalisation with a hand-derived gradient (fast on wasm); returns the biased batch variance.
import { batchNormTrain } from '../engine/ops/batchNorm';

export const BN_EPSILON = 1e-5;
/** PyTorch's momentum: running <- (1 - 0.1) * running + 0.1 * batch (TF would call this 0.9). */
export const BN_MOMENTUM = 0.1;

export interface BatchNormVariables {
  gamma: tf.Variable<tf.Rank.R1>;
  beta: tf.Variable<tf.Rank.R1>;
  runningMean: tf.Variable<tf.Rank.R1>;
  runningVar: tf.Variable<tf.Rank.R1>;
}

export function createBatchNorm(channels: number): BatchNormVariables {
  return {
    gamma: ownedVariable(tf.ones([channels]), true),
    beta: ownedVariable(tf.zeros([channels]), true),
    runningMean: ownedVariable(tf.zeros([channels]), false),
    runningVar: ownedVariable(tf.ones([channels]), false),
  };
}

/** running <- (1 - momentum) * running + momentum * batch, with the unbiased variance n/(n-1) * biased. */
export function updateRunningStatistics(
  bn: BatchNormVariables,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  count: number,
): void {
  tf.tidy(() => {
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  });
}

/**
 * Training mode conv block tail: relu(BatchNorm(x + bias)) with batch statistics (fused into two kernels on wasm),
 * the running statistics updated as a side effect. x is the convolution's output without its bias.
 */
export function biasBatchNormReluTrain(x: tf.Tensor4D, bias: tf.Tensor1D, bn: BatchNormVariables): tf.Tensor4D {
  const { y, mean, variance } = batchNormTrain(x, bn.gamma, bn.beta, BN_EPSILON, { bias, relu: true });
  const [n, h, w] = x.shape;
  updateRunningStatistics(bn, mean, variance, n * h * w);
  return y;
}
