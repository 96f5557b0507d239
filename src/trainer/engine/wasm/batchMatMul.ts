// BatchMatMul for the wasm backend: its kernel only reaches XNNPACK (fully-connected operator) when neither
// operand is transposed and there is no batch; every other case is a scalar triple loop. Autodiff of a dense
// layer asks for exactly those cases (dx = dy.W^T, dW = x^T.dy), so materialise the transposes (a cheap 2-D copy)
// and take the fast path.
import { BatchMatMul, util, type BatchMatMulAttrs, type BatchMatMulInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll, transpose } from './kernelCalls';

function swapLastTwo(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose(x, perm, backend);
}

export function makeBatchMatMulConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: BatchMatMulInputs; backend: BackendWasm; attrs: BatchMatMulAttrs }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const unbatched = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
    if (!unbatched || (!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original.kernelFunc(args as never) as TensorInfo;
    }
    const a2 = attrs.transposeA ? swapLastTwo(a, backend) : a;
    const b2 = attrs.transposeB ? swapLastTwo(b, backend) : b;
    const out = original.kernelFunc({
      inputs: { a: a2, b: b2 },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    } as never) as TensorInfo;
    if (a2 !== a) disposeAll(backend, a2);
    if (b2 !== b) disposeAll(backend, b2);
    return out;
  };
  return { kernelName: BatchMatMul, backendName: 'wasm', setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}
