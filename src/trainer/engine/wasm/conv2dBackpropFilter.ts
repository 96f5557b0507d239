// Conv2DBackpropFilter for the wasm backend, which has none. The filter gradient is itself a convolution:
//   dW[kh,kw,ci,co] = sum_{n,oh,ow} xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n,oh,ow,co]
// Read with the batch as the channel axis, that is a stride-1 conv2d of x^T [ci,H,W,n] with dy^T [OH,OW,n,co]
// as the filter, dilated by the forward stride; its output [ci,KH,KW,co] transposes to [KH,KW,ci,co]. Running it
// through the forward Conv2D kernel puts the work on XNNPACK's SIMD convolution.
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, disposeAll, slice, transpose } from './kernelCalls';
import { forwardConvInfo } from './convGeometry';

export function conv2DBackpropFilter(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const info = forwardConvInfo(Conv2DBackpropFilter, x.shape as [number, number, number, number], attrs.filterShape,
    attrs as unknown as Parameters<typeof forwardConvInfo>[3]);
  const [n, inH, inW, inC] = x.shape;
  const { filterHeight: kH, filterWidth: kW, strideHeight: sH, strideWidth: sW, outHeight, outWidth } = info;

  // Padded rows the forward conv read: (OH-1)*s + KH starting at -padTop. Rows past that (when the stride does
  // not divide the input evenly) never reached the output; crop them so the transposed conv yields exactly KH.
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const padBottom = (outHeight - 1) * sH + kH - padTop - inH;
  const padRight = (outWidth - 1) * sW + kW - padLeft - inW;
  const usedH = inH + Math.min(padBottom, 0);
  const usedW = inW + Math.min(padRight, 0);

  const cropped = usedH < inH || usedW < inW ? slice(x, [0, 0, 0, 0], [n, usedH, usedW, inC], backend) : x;
  const xT = transpose(cropped, [3, 1, 2, 0], backend); // [ci, H, W, n]
  const dyT = transpose(dy, [1, 2, 0, 3], backend); // [OH, OW, n, co]
  const padding = { top: padTop, bottom: Math.max(padBottom, 0), left: padLeft, right: Math.max(padRight, 0) };
  const dwT = conv2d(xT, dyT, padding, [sH, sW], backend); // [ci, KH, KW, co]
  const dw = transpose(dwT, [1, 2, 0, 3], backend); // [KH, KW, ci, co]

  disposeAll(backend, xT, dyT, dwT);
  if (cropped !== x) disposeAll(backend, cropped);
  return dw;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
