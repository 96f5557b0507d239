// The parameterised layers as explicit variables plus a forward function each (no tfjs-layers).
import * as tf from '@tensorflow/tfjs-core';
import type { ConvBlockSpec } from './architectures';
import { heFanOutConvWeight, linearWeight } from './init';
import type { BatchNormVariables } from './batchNorm';

export interface ConvVariables {
  weight: tf.Variable<tf.Rank.R4>; // [kh, kw, in, out]
  bias: tf.Variable<tf.Rank.R1>;
}
export interface DenseVariables {
  weight: tf.Variable<tf.Rank.R2>; // [in, out]
  bias: tf.Variable<tf.Rank.R1>;
}

export function createConv(spec: ConvBlockSpec, inChannels: number, seed: number): ConvVariables {
  return {
    weight: tf.variable(heFanOutConvWeight(spec.kernel, spec.kernel, inChannels, spec.filters, seed), true),
    bias: tf.variable(tf.zeros([spec.filters]), true),
  };
}

export function createDense(inUnits: number, outUnits: number, seed: number): DenseVariables {
  return {
    weight: tf.variable(linearWeight(inUnits, outUnits, seed), true),
    bias: tf.variable(tf.zeros([outUnits]), true),
  };
}

/**
 * PyTorch's symmetric zero padding. For stride 1 and pad (k-1)/2 that is exactly TF's 'same'; otherwise (AlexNet's
 * conv1: 11x11, stride 4, pad 2 -> 55x55) it is explicit, because 'same' would pad 3/4 and shift imported weights.
 */
function convPadding(spec: ConvBlockSpec): 'same' | [[0, 0], [number, number], [number, number], [0, 0]] {
  if (spec.stride === 1 && 2 * spec.pad === spec.kernel - 1) return 'same';
  return [
    [0, 0],
    [spec.pad, spec.pad],
    [spec.pad, spec.pad],
    [0, 0],
  ];
}

export function conv2d(x: tf.Tensor4D, spec: ConvBlockSpec, v: ConvVariables): tf.Tensor4D {
  return tf.add(conv2dWithoutBias(x, spec, v), v.bias);
}

/** The convolution alone (training adds the bias inside the fused BatchNorm, see biasBatchNormReluTrain). */
export function conv2dWithoutBias(x: tf.Tensor4D, spec: ConvBlockSpec, v: ConvVariables): tf.Tensor4D {
  // Not tf.fused.conv2d: its custom gradient always computes the input gradient, which autodiff skips for conv1
  // (nothing upstream is trainable). On wasm, AlexNet's stride-4 conv1 input gradient was the step's largest cost.
  return tf.conv2d(x, v.weight, spec.stride, convPadding(spec));
}

/**
 * Eval mode conv -> BatchNorm (running statistics) -> ReLU as one fused convolution: the BatchNorm is folded into
 * the filter and bias (w * s, (b - mean) * s + beta with s = gamma / sqrt(var + eps)), so the feature pass makes
 * one backend call per block (XNNPACK applies bias and ReLU in the convolution) instead of four full-size passes.
 */
export function convBnReluEval(
  x: tf.Tensor4D,
  spec: ConvBlockSpec,
  v: ConvVariables,
  bn: BatchNormVariables,
  eps: number,
  activation: 'relu' | 'linear' = 'relu',
): tf.Tensor4D {
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVar, eps)));
  const filter = tf.mul(v.weight, scale) as tf.Tensor4D;
  const bias = tf.add(tf.mul(tf.sub(v.bias, bn.runningMean), scale), bn.beta);
  return tf.fused.conv2d({ x, filter, strides: spec.stride, pad: convPadding(spec), bias, activation });
}

export function dense(x: tf.Tensor2D, v: DenseVariables): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: v.weight, bias: v.bias }) as tf.Tensor2D;
}
