// Transpose for the wasm backend's float32 tensors, as cache-blocked loops over the heap. Its own kernel walks the
// output in order and gathers each element with a strided read, ~9 ns an element for the [n,h,w,c] -> [c,h,w,n]
// that every conv filter gradient makes (112 ms for 256x28x28x64); 16x16 tiles take about half that. The
// permutation is first reduced by merging axes that stay adjacent; only [a, b, c] -> [c, b, a] is faster this way
// (2-D transposes and moves of whole rows were measured slower in JavaScript), the rest goes to the original.
import { Transpose, util, type KernelConfig, type KernelFunc, type TensorInfo, type TransposeAttrs, type TransposeInputs } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Loop, offsetOf, runHeapLoop } from './heapPool';

/** Below this many elements the original kernel is as fast. */
const MIN_SIZE = 1 << 14;

/** Merges input axes that stay adjacent (and in order) in the output: returns the merged shape and permutation. */
export function mergeAxes(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  // Drop size-1 axes, then group runs perm[i+1] = perm[i] + 1.
  const kept = perm.filter((a) => shape[a] !== 1);
  const groups: number[][] = [];
  for (const a of kept) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  // Input order of the groups gives the merged input shape; their output order gives the permutation.
  const byInput = [...groups].sort((p, q) => p[0] - q[0]);
  return {
    shape: byInput.map((g) => g.reduce((s, a) => s * shape[a], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

export function makeTransposeConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: TransposeInputs; backend: BackendWasm; attrs: TransposeAttrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as TensorInfo;
    const merged = x.dtype === 'float32' && util.sizeFromShape(x.shape) >= MIN_SIZE ? mergeAxes(x.shape, attrs.perm) : null;
    if (!merged || merged.perm.join(',') !== '2,1,0') return original.kernelFunc(args as never) as TensorInfo;
    const out = backend.makeOutput(attrs.perm.map((a) => x.shape[a]), 'float32');
    const size = util.sizeFromShape(x.shape);
    runHeapLoop(backend, Loop.SwapOuterAxes, [offsetOf(backend, x), offsetOf(backend, out), ...merged.shape], size);
    return out;
  };
  return { kernelName: Transpose, backendName: 'wasm', setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
