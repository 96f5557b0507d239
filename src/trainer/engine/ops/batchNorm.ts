// BatchNorm in training mode with a hand-derived gradient, optionally with the conv bias before it and the ReLU
// after it. Autodiff of the plain formula (moments + batchNorm) spends most of its time in Tile and in Sum/Mean
// over the outer axes of an NHWC tensor. On wasm, bias + BatchNorm + ReLU forward and backward are each one fused
// kernel (engine/wasm/batchNormKernels.ts); elsewhere every per-channel reduction is a matrix-vector product
// ones[1, m] x X[m, c], and the bias and ReLU are their own ops. The forward pass keeps no intermediates alive for
// backward besides the input it already holds and per-channel vectors.
//
// With m = n*h*w, xc = x - mean, invStd = 1/sqrt(var + eps), xhat = xc * invStd, y = gamma * xhat + beta:
//   dbeta  = sum(dy)
//   dgamma = sum(dy * xhat)
//   dx     = gamma * invStd * (dy - dbeta/m - xhat * dgamma/m)
import * as tf from '@tensorflow/tfjs-core';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD } from '../wasm/batchNormKernels';

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  /** Batch mean per channel. Not differentiable (meant for the running statistics). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel (what the normalisation uses). Not differentiable. */
  variance: tf.Tensor1D;
}

/** Per-channel sum of a [m, c] matrix as a matrix-vector product: [1, c]. */
function channelSum(x2: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, x2.shape[0]]), x2);
}

export interface BatchNormTrainOptions {
  /** A per-channel bias added to x first (a conv's): it moves the returned mean, never y. */
  bias?: tf.Tensor1D;
  /** Apply a ReLU to the output (fused into the same kernels on wasm). */
  relu?: boolean;
}

/**
 * Normalises x [n, h, w, c] (plus `bias`) with its own batch statistics over (n, h, w), then scales by gamma and
 * shifts by beta, then (with `relu`) clamps at zero. Gradients flow to x, gamma, beta and the bias (the full
 * BatchNorm gradient, including the paths through the batch mean and variance); the returned mean (of x + bias)
 * and biased variance are constants to autodiff.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  options: BatchNormTrainOptions = {},
): BatchNormTrainResult {
  // The fused kernels exist for wasm only; a backend without them composes tf ops.
  if (tf.getKernel(BN_TRAIN_FORWARD, tf.getBackend()) !== undefined)
    return fusedBatchNormTrain(x, gamma, beta, eps, options);
  const r = composedBatchNormTrain(options.bias ? (tf.add(x, options.bias) as tf.Tensor4D) : x, gamma, beta, eps);
  return options.relu ? { ...r, y: tf.relu(r.y) } : r;
}

function fusedBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  options: BatchNormTrainOptions,
): BatchNormTrainResult {
  const relu = Boolean(options.relu);
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const normalise = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gammaIn, betaIn, biasIn] = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [y, mean, variance, invStd] = tf
      .engine()
      .runKernel(BN_TRAIN_FORWARD, { x: xIn, gamma: gammaIn, beta: betaIn }, { epsilon: eps, relu }) as tf.Tensor[];
    stats = {
      mean: tf.keep(biasIn ? tf.add(mean, biasIn) : mean) as tf.Tensor1D,
      variance: tf.keep(variance) as tf.Tensor1D,
    };
    save([xIn, gammaIn, betaIn, mean, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, g, b, mu, inv] = saved;
        const [dx, dgamma, dbeta, dbias] = tf
          .engine()
          .runKernel(
            BN_TRAIN_BACKWARD,
            { dy, x: xs, mean: mu, invStd: inv, gamma: g, beta: b },
            { relu },
          ) as tf.Tensor[];
        if (biasIn) return [dx, dgamma, dbeta, dbias];
        dbias.dispose();
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = (options.bias ? normalise(x, gamma, beta, options.bias) : normalise(x, gamma, beta)) as tf.Tensor4D;
  return reown(y, stats);
}

/** Re-owns the statistics kept inside a custom gradient in the caller's scope, so an enclosing tidy disposes them. */
function reown(y: tf.Tensor4D, stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null): BatchNormTrainResult {
  const kept = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  const mean = tf.clone(kept.mean);
  const variance = tf.clone(kept.variance);
  tf.dispose([kept.mean, kept.variance]);
  return { y, mean, variance };
}

/** The same from tf ops, every per-channel reduction a matrix-vector product. */
function composedBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): BatchNormTrainResult {
  const [n, h, w, c] = x.shape;
  const m = n * h * w;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null = null;
  const normalise = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const x2 = tf.reshape(xIn, [m, c]) as tf.Tensor2D;
    const mean = tf.div(channelSum(x2), m) as tf.Tensor2D;
    const variance = tf.div(channelSum(tf.squaredDifference(x2, mean) as tf.Tensor2D), m) as tf.Tensor2D;
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const scale = tf.mul(gammaIn, invStd);
    const shift = tf.sub(betaIn, tf.mul(mean, scale));
    const y = tf.reshape(tf.add(tf.mul(x2, scale), shift), [n, h, w, c]);
    // Intermediates made here die with the kernel's scope; keep the statistics for the caller.
    stats = {
      mean: tf.keep(tf.reshape(mean, [c])) as tf.Tensor1D,
      variance: tf.keep(tf.reshape(variance, [c])) as tf.Tensor1D,
    };
    save([xIn, gammaIn, mean, invStd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, g, mu, inv] = saved;
        const dy2 = tf.reshape(dy, [m, c]) as tf.Tensor2D;
        const xc = tf.sub(tf.reshape(xs, [m, c]), mu);
        const dbeta = channelSum(dy2);
        const dgamma = tf.mul(channelSum(tf.mul(dy2, xc) as tf.Tensor2D), inv);
        // dx = a*dy + b*xc + c0 with per-channel a, b, c0.
        const a = tf.mul(g, inv);
        const b = tf.mul(tf.neg(a), tf.mul(inv, tf.div(dgamma, m)));
        const c0 = tf.mul(tf.neg(a), tf.div(dbeta, m));
        const dx = tf.add(tf.add(tf.mul(dy2, a), tf.mul(xc, b)), c0);
        return [tf.reshape(dx, [n, h, w, c]), tf.reshape(dgamma, [c]), tf.reshape(dbeta, [c])];
      },
    };
  });

  return reown(normalise(x, gamma, beta) as tf.Tensor4D, stats);
}
