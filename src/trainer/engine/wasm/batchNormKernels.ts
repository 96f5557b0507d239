// Training-mode BatchNorm as two fused wasm kernels: one pass over the wasm heap for the per-channel statistics
// and one to write the output, forward and backward. Composed of tfjs kernels, the same maths costs ~8 full-size
// temporaries a layer, and every per-channel sum went through XNNPACK's fully-connected operator, which packs
// the whole [m, c] operand as "weights" on each call (~65 ms for 128x28x28x64); these loops take a few ms.
//
// With m = n*h*w, xc = x - mean, invStd = 1/sqrt(var + eps), y = gamma * xc * invStd + beta:
//   dbeta  = sum(dy),  dgamma = sum(dy * xc) * invStd
//   dx     = gamma * invStd * (dy - dbeta/m - xc * invStd^2 * sum(dy * xc)/m)
import { util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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
  // Views after every allocation: growing the heap detaches earlier ones.
  const [y, mean, variance, invStd] = outs.map((t) => heap(backend, t));
  const xv = heap(backend, x);
  const g = heap(backend, gamma);
  const b = heap(backend, beta);

  // Sums of (x - x[0]) and its square in float64: one pass, and no cancellation when |mean| >> std.
  const shift = xv.slice(0, c);
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let i = 0; i < size; i += c) {
    for (let j = 0; j < c; j++) {
      const d = xv[i + j] - shift[j];
      s1[j] += d;
      s2[j] += d * d;
    }
  }
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const d = s1[j] / m;
    const v = Math.max(s2[j] / m - d * d, 0);
    const mu = shift[j] + d;
    const inv = 1 / Math.sqrt(v + eps);
    mean[j] = mu;
    variance[j] = v;
    invStd[j] = inv;
    scale[j] = g[j] * inv;
    offset[j] = b[j] - mu * g[j] * inv;
  }
  for (let i = 0; i < size; i += c) for (let j = 0; j < c; j++) y[i + j] = xv[i + j] * scale[j] + offset[j];
  return outs;
}

/** dy, x (both [..., c]), mean, invStd, gamma [c] -> dx (x's shape), dgamma [c], dbeta [c]. */
function backward({ inputs, backend }: Args<{ dy: TensorInfo; x: TensorInfo; mean: TensorInfo; invStd: TensorInfo; gamma: TensorInfo }>): TensorInfo[] {
  const { dy, x, mean, invStd, gamma } = inputs;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')];
  const [dx, dgamma, dbeta] = outs.map((t) => heap(backend, t));
  const dyv = heap(backend, dy);
  const xv = heap(backend, x);
  const mu = heap(backend, mean);
  const inv = heap(backend, invStd);
  const g = heap(backend, gamma);

  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  for (let i = 0; i < size; i += c) {
    for (let j = 0; j < c; j++) {
      const d = dyv[i + j];
      sumDy[j] += d;
      sumDyXc[j] += d * (xv[i + j] - mu[j]);
    }
  }
  // dx = a*dy + b*xc + k per channel.
  const a = new Float32Array(c);
  const bx = new Float32Array(c);
  const k = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    dbeta[j] = sumDy[j];
    dgamma[j] = sumDyXc[j] * inv[j];
    const aj = g[j] * inv[j];
    const bj = (-aj * inv[j] * inv[j] * sumDyXc[j]) / m;
    a[j] = aj;
    bx[j] = bj;
    k[j] = (-aj * sumDy[j]) / m;
  }
  for (let i = 0; i < size; i += c) for (let j = 0; j < c; j++) dx[i + j] = a[j] * dyv[i + j] + bx[j] * (xv[i + j] - mu[j]) + k[j];
  return outs;
}

export const batchNormKernelConfigs: KernelConfig[] = [
  { kernelName: BN_TRAIN_FORWARD, backendName: 'wasm', kernelFunc: forward as unknown as KernelFunc },
  { kernelName: BN_TRAIN_BACKWARD, backendName: 'wasm', kernelFunc: backward as unknown as KernelFunc },
];
