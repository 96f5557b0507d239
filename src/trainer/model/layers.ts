// The parameterised layers as explicit variables plus a forward function each (no tfjs-layers).
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from './ownedVariable';
import type { ConvBlockSpec } from './architectures';
import { heFanOutConvWeight, linearWeight } from './init';
import type { BatchNormVariables } from './batchNorm';
import { shardName, shardWidths, splitColumns } from './denseShards';

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
    weight: ownedVariable(heFanOutConvWeight(spec.kernel, spec.kernel, inChannels, spec.filters, seed), true),
    bias: ownedVariable(tf.zeros([spec.filters]), true),
  };
}

export function createDense(inUnits: number, outUnits: number, seed: number): DenseVariables {
  return {
    weight: ownedVariable(linearWeight(inUnits, outUnits, seed), true),
    bias: ownedVariable(tf.zeros([outUnits]), true),
  };
}

/**
 * A dense layer as column shards, none over `maxBindingBytes` (one shard when it fits or no limit is given). The
 * full seeded weight is drawn first and split, so a sharded layer starts from the same weights as a whole one.
 */
export function createShardedDense(
  inUnits: number,
  outUnits: number,
  seed: number,
  maxBindingBytes?: number,
): DenseVariables[] {
  const widths = shardWidths(inUnits, outUnits, maxBindingBytes);
  if (widths.length === 1) return [createDense(inUnits, outUnits, seed)];
  const full = linearWeight(inUnits, outUnits, seed);
  const weights = splitColumns(full, widths);
  full.dispose();
  return weights.map((w, i) => ({
    weight: ownedVariable(w as tf.Tensor2D, true),
    bias: ownedVariable(tf.zeros([widths[i]]), true),
  }));
}

/** Shards from a whole weight [in, out] and bias [out] (a checkpoint's), split as `widths`. */
export function shardedDenseFrom(weight: tf.Tensor, bias: tf.Tensor, widths: number[]): DenseVariables[] {
  const ws = widths.length === 1 ? [weight.clone()] : splitColumns(weight, widths);
  const bs = widths.length === 1 ? [bias.clone()] : splitColumns(bias, widths);
  return ws.map((w, i) => ({
    weight: ownedVariable(w as tf.Tensor2D, true),
    bias: ownedVariable(bs[i] as tf.Tensor1D, true),
  }));
}

/** Assigns a whole weight and bias to the shards of a layer (split on the CPU when there are several). */
export function assignShardedDense(shards: DenseVariables[], weight: tf.Tensor, bias: tf.Tensor): void {
  if (shards.length === 1) {
    shards[0].weight.assign(weight as tf.Tensor2D);
    shards[0].bias.assign(bias as tf.Tensor1D);
    return;
  }
  const widths = shards.map((s) => s.bias.shape[0]);
  const parts = [...splitColumns(weight, widths), ...splitColumns(bias, widths)];
  shards.forEach((s, i) => {
    s.weight.assign(parts[i] as tf.Tensor2D);
    s.bias.assign(parts[shards.length + i] as tf.Tensor1D);
  });
  tf.dispose(parts);
}

/** The variables of a sharded layer under stable names: "fc6.weight", or "fc6.weight[0:2048]", ... when split. */
export function namedShards(prefix: string, shards: DenseVariables[]): [string, tf.Variable][] {
  if (shards.length === 1)
    return [
      [`${prefix}.weight`, shards[0].weight],
      [`${prefix}.bias`, shards[0].bias],
    ];
  const out: [string, tf.Variable][] = [];
  let start = 0;
  for (const s of shards) {
    const end = start + s.bias.shape[0];
    out.push([shardName(`${prefix}.weight`, start, end), s.weight], [shardName(`${prefix}.bias`, start, end), s.bias]);
    start = end;
  }
  return out;
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

/** x W + b over column shards: each shard's product (and in backprop dY_i W_i^T, x^T dY_i) binds one shard. */
export function shardedDense(x: tf.Tensor2D, shards: DenseVariables[]): tf.Tensor2D {
  if (shards.length === 1) return dense(x, shards[0]);
  return tf.concat(
    shards.map((s) => dense(x, s)),
    1,
  );
}
