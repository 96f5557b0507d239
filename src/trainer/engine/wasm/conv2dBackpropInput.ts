// Conv2DBackpropInput for the wasm backend. Its own kernel is a scalar loop, ~8x slower than the same math as a
// forward convolution: the input gradient is the "full" correlation of the output gradient, zero-inserted by the
// stride, with the spatially flipped filter whose in/out channels are swapped:
//   dx[n,i,j,ci] = sum_{kh,kw,co} dyZ[n, i + padTop - kh, j + padLeft - kw, co] * W[kh,kw,ci,co]
// which is a stride-1 conv2d of dyZ padded by (KH-1-padTop) with W flipped and transposed to [KH,KW,co,ci].
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, disposeAll, pad, reshape, reverse, slice, transpose } from './kernelCalls';
import { forwardConvInfo } from './convGeometry';

/** dy with (s-1) zeros after every row and column: [n, OH*sH, OW*sW, c] (the trailing zeros are harmless). */
function insertStrideZeros(dy: TensorInfo, sH: number, sW: number, backend: BackendWasm): TensorInfo {
  const [n, oH, oW, c] = dy.shape;
  const split = reshape(dy, [n, oH, 1, oW, 1, c], backend);
  const padded = pad(
    split,
    [
      [0, 0],
      [0, 0],
      [0, sH - 1],
      [0, 0],
      [0, sW - 1],
      [0, 0],
    ],
    backend,
  );
  const dyZ = reshape(padded, [n, oH * sH, oW * sW, c], backend);
  disposeAll(backend, split, padded);
  return dyZ;
}

export function conv2DBackpropInput(args: {
  inputs: Conv2DBackpropInputInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const info = forwardConvInfo(
    Conv2DBackpropInput,
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs as unknown as Parameters<typeof forwardConvInfo>[3],
  );
  const [, inH, inW] = attrs.inputShape;
  const { filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW } = info;

  const strided = sH > 1 || sW > 1;
  const dyZ = strided ? insertStrideZeros(dy, sH, sW, backend) : dy;
  const [n, zH, zW, outC] = dyZ.shape;

  // "Full" padding minus the forward padding; a negative amount means rows of dyZ that no input pixel reads.
  const top = kH - 1 - info.padInfo.top;
  const left = kW - 1 - info.padInfo.left;
  const bottom = inH + kH - 1 - top - zH;
  const right = inW + kW - 1 - left - zW;
  const cropTop = Math.max(-top, 0);
  const cropLeft = Math.max(-left, 0);
  const cropBottom = Math.max(-bottom, 0);
  const cropRight = Math.max(-right, 0);
  const needsCrop = cropTop + cropLeft + cropBottom + cropRight > 0;
  const dyIn = needsCrop
    ? slice(dyZ, [0, cropTop, cropLeft, 0], [n, zH - cropTop - cropBottom, zW - cropLeft - cropRight, outC], backend)
    : dyZ;

  const flipped = reverse(filter, [0, 1], backend);
  const wT = transpose(flipped, [0, 1, 3, 2], backend); // [KH, KW, co, ci]
  const padding = {
    top: Math.max(top, 0),
    bottom: Math.max(bottom, 0),
    left: Math.max(left, 0),
    right: Math.max(right, 0),
  };
  const dx = conv2d(dyIn, wT, padding, [1, 1], backend);

  disposeAll(backend, flipped, wT);
  if (dyIn !== dyZ) disposeAll(backend, dyIn);
  if (dyZ !== dy) disposeAll(backend, dyZ);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
