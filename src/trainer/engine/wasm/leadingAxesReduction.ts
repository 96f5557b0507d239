// Sum and Mean over the leading axes (e.g. per-channel over n, h, w of an NHWC tensor: bias gradients, batch
// statistics) for the wasm backend. Its kernels transpose the reduced axes innermost and loop; a matrix-vector
// product ones[1, m] x X[m, rest] on XNNPACK repacks X as weights every call (~65 ms for 100 352 x 64). One
// pass over the heap, accumulating rows in float64, takes a few ms.
import { Mean, Sum, util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Below this many elements the original kernel is as fast and the detour is not worth it. */
const MIN_SIZE = 1 << 14;

/** Number of leading axes reduced, or -1 when `axes` are not exactly the first k axes (k < rank). */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = [...util.parseAxisParam(axis, shape)].sort((p, q) => p - q);
  const k = axes.length;
  return k > 0 && k < shape.length && axes.every((a, i) => a === i) ? k : -1;
}

/** out[j] = weight * sum_i x[i * out.length + j] for the m rows of x. */
function columnSums(x: Float32Array, m: number, out: Float32Array, weight: number): void {
  const n = out.length;
  const acc = new Float64Array(n);
  for (let i = 0; i < m * n; i += n) for (let j = 0; j < n; j++) acc[j] += x[i + j];
  for (let j = 0; j < n; j++) out[j] = acc[j] * weight;
}

function makeReductionConfig(kernelName: typeof Sum | typeof Mean, original: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: NamedAttrMap }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === 'float32' && util.sizeFromShape(x.shape) >= MIN_SIZE ? leadingAxes(axis, x.shape) : -1;
    if (k < 0) return original.kernelFunc(args as never) as TensorInfo;

    const m = util.sizeFromShape(x.shape.slice(0, k));
    const rest = x.shape.slice(k);
    const out = backend.makeOutput(keepDims ? [...Array(k).fill(1), ...rest] : rest, 'float32');
    columnSums(backend.typedArrayFromHeap(x) as Float32Array, m, backend.typedArrayFromHeap(out) as Float32Array, kernelName === Mean ? 1 / m : 1);
    return out;
  };
  return { kernelName, backendName: 'wasm', setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const makeSumConfig = (original: KernelConfig): KernelConfig => makeReductionConfig(Sum, original);
export const makeMeanConfig = (original: KernelConfig): KernelConfig => makeReductionConfig(Mean, original);
