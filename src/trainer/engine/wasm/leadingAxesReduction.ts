// Sum and Mean over the leading axes (e.g. per-channel over n, h, w of an NHWC tensor: bias gradients, batch
// statistics) for the wasm backend. Its kernels transpose the reduced axes innermost and loop; a matrix-vector
// product ones[1, m] x X[m, rest] on XNNPACK repacks X as weights every call (~65 ms for 100 352 x 64). One
// pass over the heap (heapLoops.ts), accumulating rows in float64, takes a few ms.
import {
  Mean,
  Sum,
  util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Loop, offsetOf, runHeapLoop, sumPartials } from './heapPool';

/** Below this many elements the original kernel is as fast and the detour is not worth it. */
const MIN_SIZE = 1 << 14;

/** Number of leading axes reduced, or -1 when `axes` are not exactly the first k axes (k < rank). */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = [...util.parseAxisParam(axis, shape)].sort((p, q) => p - q);
  const k = axes.length;
  return k > 0 && k < shape.length && axes.every((a, i) => a === i) ? k : -1;
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
    const n = util.sizeFromShape(rest);
    const sums = runHeapLoop(backend, Loop.ColumnSums, [offsetOf(backend, x), m, n], m * n, [], n);
    const acc = sumPartials(sums, 0, n);
    const out = backend.makeOutput(keepDims ? [...Array(k).fill(1), ...rest] : rest, 'float32');
    const o = backend.typedArrayFromHeap(out);
    const weight = kernelName === Mean ? 1 / m : 1;
    for (let j = 0; j < n; j++) o[j] = acc[j] * weight;
    return out;
  };
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

export const makeSumConfig = (original: KernelConfig): KernelConfig => makeReductionConfig(Sum, original);
export const makeMeanConfig = (original: KernelConfig): KernelConfig => makeReductionConfig(Mean, original);
