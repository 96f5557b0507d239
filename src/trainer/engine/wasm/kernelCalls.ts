// Backend-level building blocks for kernels that are compositions of other wasm kernels. Calling the
// registered kernel functions directly (instead of tf ops) keeps the intermediates off the autodiff tape and
// out of the engine's bookkeeping, the same way upstream backends compose kernels internally.
import { getKernel, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: BackendWasm): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`wasm backend has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}

/** Frees intermediates; Reshape outputs share their input's data, which is reference counted. */
export function disposeAll(backend: BackendWasm, ...tensors: TensorInfo[]): void {
  for (const t of tensors) backend.disposeData(t.dataId);
}

export function transpose(x: TensorInfo, perm: number[], backend: BackendWasm): TensorInfo {
  return run('Transpose', { x }, { perm }, backend);
}

export function reshape(x: TensorInfo, shape: number[], backend: BackendWasm): TensorInfo {
  return run('Reshape', { x }, { shape }, backend);
}

export function reverse(x: TensorInfo, dims: number[], backend: BackendWasm): TensorInfo {
  return run('Reverse', { x }, { dims }, backend);
}

export function slice(x: TensorInfo, begin: number[], size: number[], backend: BackendWasm): TensorInfo {
  return run('Slice', { x }, { begin, size }, backend);
}

export function pad(x: TensorInfo, paddings: Array<[number, number]>, backend: BackendWasm): TensorInfo {
  return run('PadV2', { x }, { paddings, constantValue: 0 }, backend);
}

/** The XNNPACK-backed forward convolution, NHWC, explicit padding [[0,0],[top,bottom],[left,right],[0,0]]. */
export function conv2d(
  x: TensorInfo,
  filter: TensorInfo,
  padding: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
  backend: BackendWasm,
): TensorInfo {
  const pad = [
    [0, 0],
    [padding.top, padding.bottom],
    [padding.left, padding.right],
    [0, 0],
  ];
  return run(
    'Conv2D',
    { x, filter },
    { strides: [1, 1], pad, dilations, dataFormat: 'NHWC' } as unknown as NamedAttrMap,
    backend,
  );
}

/** a [m, k] x b [k, n] without transposes: the wasm BatchMatMul's XNNPACK fully-connected path (b is packed). */
export function matMul(a: TensorInfo, b: TensorInfo, backend: BackendWasm): TensorInfo {
  return run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }, backend);
}
