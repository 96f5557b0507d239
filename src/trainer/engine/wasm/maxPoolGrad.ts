// MaxPoolGrad for the wasm backend. Its own kernel takes ~0.5 s for a [256, 32, 32, 64] input. This one is a
// single pass in JavaScript over the wasm heap, vectorised along the contiguous channel axis: per output pixel,
// find each channel's first maximum in the window (the cpu backend's and PyTorch's tie rule) and route dy there.
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type MaxPoolGradInputs, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.input as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize, inHeight, inWidth, outHeight, outWidth, inChannels: channels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;

  const out = backend.makeOutput(x.shape, 'float32');
  // Views after the allocation: growing the heap detaches earlier ones.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - padTop;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - padLeft;
        best.fill(-Infinity);
        where.fill(-1);
        for (let kh = 0; kh < filterHeight; kh++) {
          const h = h0 + kh;
          if (h < 0 || h >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const w = w0 + kw;
            if (w < 0 || w >= inWidth) continue;
            const base = ((b * inHeight + h) * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) {
              const v = xv[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) if (where[c] >= 0) dx[where[c]] += dyv[dyBase + c];
      }
    }
  }
  return out;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
