// Conv2DBackpropFilter for the wasm backend, which has none.
//
// 3x3 stride-1 convolutions with channels in fours and eights take the Winograd route (conv2dWinograd.ts).
// With our SIMD module loaded (heapSimd.wasm, heapPool.ts) and out channels in eights, it runs there directly on x
// and dy: no padding, no im2col, no packing, 4 x 8 sums per tile held in registers over blocks of output rows,
// the (tap, input channel) rows of dW split across the pool's threads. Otherwise, as follows.
//
// The filter gradient is a matrix product over every
// output pixel p = (n, oh, ow) of the batch:
//   dW[(kh, kw, ci), co] = sum_p X[(kh, kw, ci), p] * dY[p, co],  X[(kh, kw, ci), p] = xPadded[n, oh*s + kh, ow*s + kw, ci]
// (X is the transposed im2col matrix). Its reduction runs over n*OH*OW (200 704 for smallvgg's conv2 at batch 256),
// so it is done in chunks of pixels: x is transposed and zero-padded once, then per chunk X is copied together
// from contiguous runs of it (heapLoops.ts, split across threads) and multiplied by the chunk's rows of dY on
// XNNPACK's fully-connected operator, which packs only dY's rows and keeps them in cache across the product; the
// chunks' products are summed. The result comes out in the filter's own [KH, KW, ci, co] layout.
//
// (The first version ran this as one forward convolution of x^T with dy^T as a 28x28 "filter": tfjs transposed
// and packed the whole output gradient on every call, and XNNPACK streamed it from memory once per 4 output rows:
// 2.7x the forward convolution's time.)
import {
  Conv2DBackpropFilter,
  util,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll, matMul, reshape } from './kernelCalls';
import { forwardConvInfo } from './convGeometry';
import { heapSimdActive, Loop, offsetOf, runHeapLoop } from './heapPool';
import { winogradApplies, winogradFilterGradient } from './conv2dWinograd';

/** Floats of the im2col chunk (16 MiB): small enough to stay cheap, large enough that a chunk's GEMM dominates. */
let chunkFloats = 1 << 22;

/** Tests: a smaller chunk makes small problems run in several chunks. Returns the previous value. */
export function setFilterGradientChunkFloats(floats: number): number {
  const previous = chunkFloats;
  chunkFloats = floats;
  return previous;
}

/** Rows [p0, p0 + len) of a row-major [rows, c] float32 tensor, copied within the heap (wasm's Slice kernel is
 *  ~50x slower for this). */
function rowsOf(t: TensorInfo, p0: number, len: number, backend: BackendWasm): TensorInfo {
  const c = t.shape[1];
  const out = backend.makeOutput([len, c], 'float32');
  const heap = (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
  const from = offsetOf(backend, t) + p0 * c;
  heap.copyWithin(offsetOf(backend, out), from, from + len * c);
  return out;
}

export function conv2DBackpropFilter(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const info = forwardConvInfo(
    Conv2DBackpropFilter,
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs as unknown as Parameters<typeof forwardConvInfo>[3],
  );
  const [n, inH, inW, inC] = x.shape;
  const {
    filterHeight: kH,
    filterWidth: kW,
    strideHeight: sH,
    strideWidth: sW,
    outHeight,
    outWidth,
    outChannels,
  } = info;
  const { top, left } = info.padInfo;
  if (winogradApplies(info, backend)) return winogradFilterGradient(x, dy, info, backend);
  if (heapSimdActive(backend) && outChannels % 8 === 0) {
    const dw = backend.makeOutput([kH, kW, inC, outChannels], 'float32');
    runHeapLoop(
      backend,
      Loop.FilterGradient,
      [
        offsetOf(backend, x),
        offsetOf(backend, dy),
        offsetOf(backend, dw),
        n,
        inH,
        inW,
        inC,
        outHeight,
        outWidth,
        outChannels,
        kH,
        kW,
        sH,
        sW,
        top,
        left,
      ],
      n * outHeight * outWidth * outChannels * kH * kW * inC,
    ); // size: multiply-adds
    return dw;
  }

  const rows = kH * kW * inC;
  const pixels = n * outHeight * outWidth;
  // Pixels per chunk: what fits chunkFloats, at least 16.
  const chunk = Math.min(pixels, Math.max(16, Math.floor(chunkFloats / rows)));

  // The input transposed to [ci, n, H, W] with the forward conv's zero padding around each plane (and cropped
  // rows/columns the stride never reaches simply left unread), so each im2col row is runs of contiguous copies.
  const paddedH = Math.max(inH + top, (outHeight - 1) * sH + kH);
  const paddedW = Math.max(inW + left, (outWidth - 1) * sW + kW);
  const xpT = backend.makeOutput([inC, n, paddedH, paddedW], 'float32');
  runHeapLoop(
    backend,
    Loop.TransposePad,
    [offsetOf(backend, x), offsetOf(backend, xpT), n, inH, inW, inC, top, left, paddedH, paddedW],
    inC * n * paddedH * paddedW,
  );
  const dy2 = reshape(dy, [pixels, outChannels], backend);
  const out = backend.makeOutput([kH, kW, inC, outChannels], 'float32');
  const size = util.sizeFromShape(out.shape);
  for (let p0 = 0; p0 < pixels; p0 += chunk) {
    const len = Math.min(chunk, pixels - p0);
    const cols = backend.makeOutput([rows, len], 'float32');
    runHeapLoop(
      backend,
      Loop.Im2ColT,
      [
        offsetOf(backend, xpT),
        offsetOf(backend, cols),
        p0,
        len,
        n,
        paddedH,
        paddedW,
        inC,
        outHeight,
        outWidth,
        kH,
        kW,
        sH,
        sW,
      ],
      rows * len,
    );
    const dyRows = len === pixels ? dy2 : rowsOf(dy2, p0, len, backend);
    const product = matMul(cols, dyRows, backend); // [rows, co]
    // Views after the allocations: growing the heap detaches earlier ones.
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    const v = backend.typedArrayFromHeap(product) as Float32Array;
    if (p0 === 0) o.set(v);
    else for (let i = 0; i < size; i++) o[i] += v[i];
    disposeAll(backend, cols, product);
    if (dyRows !== dy2) disposeAll(backend, dyRows);
  }
  disposeAll(backend, dy2, xpT);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
