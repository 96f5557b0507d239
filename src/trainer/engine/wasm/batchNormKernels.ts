// Training-mode BatchNorm as two fused wasm kernels: one pass over the wasm heap for the per-channel statistics
// and one to write the output, forward and backward (the loops are in heapLoops.ts, split across threads by
// heapPool.ts). Composed of tfjs kernels, the same maths costs ~8 full-size temporaries a layer, and every
// per-channel sum went through XNNPACK's fully-connected operator, which packs the whole [m, c] operand as
// "weights" on each call (~65 ms for 128x28x28x64); these loops take a few ms.
//
// With m = n*h*w, xc = x - mean, invStd = 1/sqrt(var + eps), y = gamma * xc * invStd + beta:
//   dbeta  = sum(dy),  dgamma = sum(dy * xc) * invStd
//   dx     = gamma * invStd * (dy - dbeta/m - xc * invStd^2 * sum(dy * xc)/m)
// With `relu`, the kernels are relu(BatchNorm(x)): the forward clamps, the backward masks dy where the
// pre-activation (recomputed from x, so nothing more is saved) was not positive. The backward also returns the
// gradient of a bias added to x before the BatchNorm (a conv bias): sum(dx), which is exactly zero because
// BatchNorm removes any per-channel shift (autodiff of the composed ops returns rounding noise around zero), and
// the forward never needs that bias at all.
import { util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Loop, offsetOf, runHeapLoop, sumPartials } from './heapPool';

/** Kernel names (not tfjs's: ours exist for wasm only; other backends compose tf ops, see ops/batchNorm.ts). */
export const BN_TRAIN_FORWARD = 'DeepClusterBatchNormTrain';
export const BN_TRAIN_BACKWARD = 'DeepClusterBatchNormTrainGrad';

type Args<I> = { inputs: I; backend: BackendWasm; attrs: NamedAttrMap };
const heap = (backend: BackendWasm, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/** The per-channel affine map y = x * scale + offset, from the float32 statistics (both kernels use it, so the
 *  backward's ReLU mask is exactly the forward's). Returned as [scale..., offset...]. */
function scaleOffset(gamma: Float32Array, beta: Float32Array, mean: Float32Array, invStd: Float32Array): Float64Array {
  const c = gamma.length;
  const out = new Float64Array(2 * c);
  for (let j = 0; j < c; j++) {
    out[j] = Math.fround(gamma[j] * invStd[j]);
    out[c + j] = Math.fround(beta[j] - mean[j] * gamma[j] * invStd[j]);
  }
  return out;
}

/** x [..., c], gamma [c], beta [c] -> y (x's shape), mean [c], biased variance [c], invStd [c]. attrs: epsilon, relu. */
function forward({
  inputs,
  backend,
  attrs,
}: Args<{ x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }>): TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const eps = attrs.epsilon as number;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  const outs = [backend.makeOutput(x.shape, 'float32'), ...[0, 1, 2].map(() => backend.makeOutput([c], 'float32'))];

  // Sums of (x - x[0]) and its square in float64: one pass, and no cancellation when |mean| >> std.
  const stats = runHeapLoop(backend, Loop.BnStats, [offsetOf(backend, x), m, c], size, [], 2 * c);
  const s1 = sumPartials(stats, 0, c);
  const s2 = sumPartials(stats, c, c);
  // Views after every allocation: growing the heap detaches earlier ones.
  const [, mean, variance, invStd] = outs.map((t) => heap(backend, t));
  const xv = heap(backend, x);
  for (let j = 0; j < c; j++) {
    const d = s1[j] / m;
    const v = Math.max(s2[j] / m - d * d, 0);
    mean[j] = xv[j] + d;
    variance[j] = v;
    invStd[j] = 1 / Math.sqrt(v + eps);
  }
  const affine = scaleOffset(heap(backend, gamma), heap(backend, beta), mean, invStd);
  runHeapLoop(
    backend,
    Loop.BnApply,
    [offsetOf(backend, x), offsetOf(backend, outs[0]), m, c, attrs.relu ? 1 : 0],
    size,
    affine,
  );
  return outs;
}

/** dy, x (both [..., c]), mean, invStd, gamma, beta [c] -> dx (x's shape), dgamma, dbeta, dbias (zeros) [c]. attrs: relu. */
function backward({
  inputs,
  backend,
  attrs,
}: Args<{
  dy: TensorInfo;
  x: TensorInfo;
  mean: TensorInfo;
  invStd: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
}>): TensorInfo[] {
  const { dy, x, mean, invStd, gamma, beta } = inputs;
  const relu = attrs.relu ? 1 : 0;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  const outs = [backend.makeOutput(x.shape, 'float32'), ...[0, 1, 2].map(() => backend.makeOutput([c], 'float32'))];
  const offsets = [offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, mean)];
  const inv = heap(backend, invStd);
  const g = heap(backend, gamma);
  const affine = scaleOffset(g, heap(backend, beta), heap(backend, mean), inv);

  const stats = runHeapLoop(backend, Loop.BnGradStats, [...offsets, m, c, relu], size, affine, 2 * c);
  const sumDy = sumPartials(stats, 0, c);
  const sumDyXc = sumPartials(stats, c, c);
  const [, dgamma, dbeta] = outs.map((t) => heap(backend, t));
  // dx = a*d + b*xc + k per channel; the ReLU's affine map follows for the mask.
  const params = new Float64Array(5 * c);
  for (let j = 0; j < c; j++) {
    dbeta[j] = sumDy[j];
    dgamma[j] = sumDyXc[j] * inv[j];
    const aj = Math.fround(g[j] * inv[j]);
    params[j] = aj;
    params[c + j] = Math.fround((-aj * inv[j] * inv[j] * sumDyXc[j]) / m);
    params[2 * c + j] = Math.fround((-aj * sumDy[j]) / m);
  }
  params.set(affine, 3 * c);
  runHeapLoop(backend, Loop.BnGradApply, [...offsets, offsetOf(backend, outs[0]), m, c, relu], size, params);
  heap(backend, outs[3]).fill(0);
  return outs;
}

export const batchNormKernelConfigs: KernelConfig[] = [
  { kernelName: BN_TRAIN_FORWARD, backendName: 'wasm', kernelFunc: forward as unknown as KernelFunc },
  { kernelName: BN_TRAIN_BACKWARD, backendName: 'wasm', kernelFunc: backward as unknown as KernelFunc },
];
