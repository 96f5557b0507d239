// BatchMatMul for the wasm backend: its kernel only reaches XNNPACK (fully-connected operator) when neither
// operand is transposed and there is no batch; every other case is a scalar triple loop. Autodiff of a dense
// layer asks for exactly those cases (dx = dy.W^T, dW = x^T.dy), so materialise the transposes and take the fast
// path. XNNPACK packs the right operand [K, N] on every call (a new tensor each step); when that operand is the
// large one, as W^T in dx = dy.W^T (AlexNet's fc6: 9216 x 4096 against a batch of 64), the product is computed
// transposed instead, out^T = b^T.a^T, which packs the small operand and needs no copy of W at all.
import {
  BatchMatMul,
  util,
  type BatchMatMulAttrs,
  type BatchMatMulInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll, transpose } from './kernelCalls';

function swapLastTwo(x: TensorInfo, backend: BackendWasm): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transpose(x, perm, backend);
}

export function makeBatchMatMulConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: BatchMatMulInputs;
    backend: BackendWasm;
    attrs: BatchMatMulAttrs;
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const unbatched = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
    if (!unbatched || (!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original.kernelFunc(args as never) as TensorInfo;
    }
    // a' = op(a) is [M, K], b' = op(b) is [K, N]. Elements copied or packed either way:
    const [m, k] = attrs.transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const direct = (attrs.transposeA ? m * k : 0) + (attrs.transposeB ? k * n : 0) + k * n;
    const swapped = (attrs.transposeB ? 0 : k * n) + (attrs.transposeA ? 0 : m * k) + k * m + m * n;
    if (swapped < direct / 2) {
      const lhs = attrs.transposeB ? b : swapLastTwo(b, backend); // b'^T [N, K]
      const rhs = attrs.transposeA ? a : swapLastTwo(a, backend); // a'^T [K, M]
      const outT = original.kernelFunc({
        inputs: { a: lhs, b: rhs },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never) as TensorInfo;
      const out = swapLastTwo(outT, backend);
      disposeAll(backend, outT);
      if (lhs !== b) disposeAll(backend, lhs);
      if (rhs !== a) disposeAll(backend, rhs);
      return out;
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
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
