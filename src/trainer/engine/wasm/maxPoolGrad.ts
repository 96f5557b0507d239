// MaxPoolGrad for the wasm backend. Its own kernel takes ~0.5 s for a [256, 32, 32, 64] input. This one is a
// single pass in JavaScript over the wasm heap (heapLoops.ts, the batch split across threads), vectorised along
// the contiguous channel axis: per output pixel, find each channel's first maximum in the window (the cpu
// backend's and PyTorch's tie rule) and route dy there.
import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Loop, offsetOf, runHeapLoop } from './heapPool';

export function maxPoolGrad(args: {
  inputs: MaxPoolGradInputs;
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.input as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels: channels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;

  const out = backend.makeOutput(x.shape, 'float32');
  const loopArgs = [
    offsetOf(backend, x),
    offsetOf(backend, dy),
    offsetOf(backend, out),
    batchSize,
    inHeight,
    inWidth,
    outHeight,
    outWidth,
    channels,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
    padTop,
    padLeft,
  ];
  runHeapLoop(backend, Loop.MaxPoolGrad, loopArgs, batchSize * inHeight * inWidth * channels);
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
