// Training-mode BatchNorm as two fused wasm kernels: one pass over the wasm heap for the per-channel statistics
// and one to write the output, forward and backward (the loops are in heapLoops.ts, split across threads by
// heapPool.ts). Composed of tfjs kernels, the same maths costs ~8 full-size temporaries a layer, and every
// per-channel sum went through XNNPACK's fully-connected operator, which packs the whole [m, c] operand as
// "weights" on each call (~65 ms for 128x28x28x64); these loops take a few ms.
//
// With m = n*h*w, xc = x - mean, invStd = 1/sqrt(var + eps), y = gamma * xc * invStd + beta:
//   dbeta  = sum(dy),  dgamma = sum(dy * xc) * invStd
//   dx     = gamma * invStd * (dy - dbeta/m - xc * invStd^2 * sum(dy * xc)/m)
import { util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Loop, offsetOf, runHeapLoop, sumPartials } from './heapPool';

/** Kernel names (not tfjs's: ours exist for wasm only; other backends compose tf ops, see ops/batchNorm.ts). */
export const BN_TRAIN_FORWARD = 'DeepClusterBatchNormTrain';
export const BN_TRAIN_BACKWARD = 'DeepClusterBatchNormTrainGrad';

type Args<I> = { inputs: I; backend: BackendWasm; attrs: NamedAttrMap };
const heap = (backend: BackendWasm, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/** x [..., c], gamma [c], beta [c] -> y (x's shape), mean [c], biased variance [c], invStd [c]. */
function forward({ inputs, backend, attrs }: Args<{ x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }>): TensorInfo[] {
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
  const g = heap(backend, gamma);
  const b = heap(backend, beta);
  const scaleOffset = new Float64Array(2 * c);
  for (let j = 0; j < c; j++) {
    const d = s1[j] / m;
    const v = Math.max(s2[j] / m - d * d, 0);
    const mu = xv[j] + d;
    const inv = 1 / Math.sqrt(v + eps);
    mean[j] = mu;
    variance[j] = v;
    invStd[j] = inv;
    // The float32 rounding the single-threaded loop had, so results do not depend on the thread count.
    scaleOffset[j] = Math.fround(g[j] * inv);
    scaleOffset[c + j] = Math.fround(b[j] - mu * g[j] * inv);
  }
  runHeapLoop(backend, Loop.BnApply, [offsetOf(backend, x), offsetOf(backend, outs[0]), m, c], size, scaleOffset);
  return outs;
}

/** dy, x (both [..., c]), mean, invStd, gamma [c] -> dx (x's shape), dgamma [c], dbeta [c]. */
function backward({ inputs, backend }: Args<{ dy: TensorInfo; x: TensorInfo; mean: TensorInfo; invStd: TensorInfo; gamma: TensorInfo }>): TensorInfo[] {
  const { dy, x, mean, invStd, gamma } = inputs;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const offsets = [offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, mean)];

  const stats = runHeapLoop(backend, Loop.BnGradStats, [...offsets, m, c], size, [], 2 * c);
  const sumDy = sumPartials(stats, 0, c);
  const sumDyXc = sumPartials(stats, c, c);
  const [, dgamma, dbeta] = outs.map((t) => heap(backend, t));
  const inv = heap(backend, invStd);
  const g = heap(backend, gamma);
  // dx = a*dy + b*xc + k per channel.
  const abk = new Float64Array(3 * c);
  for (let j = 0; j < c; j++) {
    dbeta[j] = sumDy[j];
    dgamma[j] = sumDyXc[j] * inv[j];
    const aj = Math.fround(g[j] * inv[j]);
    const bj = Math.fround((-aj * inv[j] * inv[j] * sumDyXc[j]) / m);
    abk[j] = aj;
    abk[c + j] = bj;
    abk[2 * c + j] = Math.fround((-aj * sumDy[j]) / m);
  }
  runHeapLoop(backend, Loop.BnGradApply, [...offsets, offsetOf(backend, outs[0]), m, c], size, abk);
  return outs;
}

export const batchNormKernelConfigs: KernelConfig[] = [
  { kernelName: BN_TRAIN_FORWARD, backendName: 'wasm', kernelFunc: forward as unknown as KernelFunc },
  { kernelName: BN_TRAIN_BACKWARD, backendName: 'wasm', kernelFunc: backward as unknown as KernelFunc },
];
