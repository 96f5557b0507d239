// 3x3 stride-1 convolutions on the wasm backend by Winograd F(2x2, 3x3) in our SIMD module
// (assembly/winograd.ts): 2.25x fewer multiply-adds than XNNPACK's direct convolution, which already runs near
// 128-bit wasm SIMD's peak, so fewer operations is what is left. Most of a VGG-style network's work is such
// convolutions: smallvgg's forward pass, and its input gradients (a 3x3 stride-1 convolution of dy with the flipped
// filter, conv2dBackpropInput.ts) and filter gradients (winogradFilterGradient, below). The filter is transformed
// here, U = G g G^T, per call (C x K x 16 floats).
// Anything else (other kernels, strides, dilations, channel counts not in fours and eights) stays on XNNPACK.
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll } from './kernelCalls';
import { heapLoopParts, heapSimdActive, Loop, offsetOf, runHeapLoop } from './heapPool';

let enabled = true;

/** Convolutions that took this route (tests check it really is taken). */
export const winogradCounts = { calls: 0, filterGradients: 0 };

/** Benchmarks and tests compare against XNNPACK in one process. Returns the previous setting. */
export function setWinograd(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Whether a convolution of this geometry (NHWC, float32) takes the Winograd route on `backend`. */
export function winogradApplies(info: backend_util.Conv2DInfo, backend: BackendWasm): boolean {
  return (
    enabled &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels % 4 === 0 &&
    info.outChannels % 8 === 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    heapSimdActive(backend)
  );
}

/**
 * U[p = 4i + j] = (G g G^T)[i, j] for each (c, k) of the filter [3, 3, C, K], stored [16, K / 8, C, 8] so that
 * the products read each 8 output channels' strip front to back.
 */
function transformFilter(filter: Float32Array, C: number, K: number, U: Float32Array): void {
  const plane = C * K;
  for (let ck = 0; ck < plane; ck++) {
    const c = Math.floor(ck / K);
    const k = ck - c * K;
    const at = ((k >> 3) * C + c) * 8 + (k & 7); // within a point's plane
    // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of the filter, per column.
    for (let kw = 0; kw < 3; kw++) {
      const g0 = filter[kw * plane + ck];
      const g1 = filter[(3 + kw) * plane + ck];
      const g2 = filter[(6 + kw) * plane + ck];
      tmp[kw] = g0;
      tmp[3 + kw] = 0.5 * (g0 + g1 + g2);
      tmp[6 + kw] = 0.5 * (g0 - g1 + g2);
      tmp[9 + kw] = g2;
    }
    // (G g) G^T: the same across each row.
    for (let i = 0; i < 4; i++) {
      const r0 = tmp[i * 3];
      const r1 = tmp[i * 3 + 1];
      const r2 = tmp[i * 3 + 2];
      U[4 * i * plane + at] = r0;
      U[(4 * i + 1) * plane + at] = 0.5 * (r0 + r1 + r2);
      U[(4 * i + 2) * plane + at] = 0.5 * (r0 - r1 + r2);
      U[(4 * i + 3) * plane + at] = r2;
    }
  }
}
const tmp = new Float64Array(16);

/** Tiles a block: as many as keep the block's 16 transformed input rows within ~128 KiB (L2), in fours. */
function tilesPerBlock(C: number): number {
  return Math.max(4, Math.min(64, 4 * Math.floor((128 * 1024) / (16 * 4 * C) / 4)));
}

/**
 * y = conv(x, filter) (+ bias, then ReLU when `relu`) for a geometry `winogradApplies` accepted. x [n, H, W, C],
 * filter [3, 3, C, K], bias [K] or undefined; returns y [n, OH, OW, K].
 */
export function winogradConv2d(
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  backend: BackendWasm,
  bias?: TensorInfo,
  relu = false,
): TensorInfo {
  winogradCounts.calls++;
  const [n, H, W, C] = x.shape;
  const K = info.outChannels;
  const TB = tilesPerBlock(C);
  const perPart = 16 * TB * C + 16 * TB * 8 + 64;
  const parts = heapLoopParts();
  const U = backend.makeOutput([16, C, K], 'float32');
  const scratch = backend.makeOutput([parts, perPart], 'float32');
  const y = backend.makeOutput([n, info.outHeight, info.outWidth, K], 'float32');
  // Views after the allocations: growing the heap detaches earlier ones.
  transformFilter(
    backend.typedArrayFromHeap(filter) as Float32Array,
    C,
    K,
    backend.typedArrayFromHeap(U) as Float32Array,
  );
  const tiles = n * Math.ceil(info.outHeight / 2) * Math.ceil(info.outWidth / 2);
  runHeapLoop(
    backend,
    Loop.Winograd3x3,
    [
      offsetOf(backend, x),
      offsetOf(backend, U),
      bias ? offsetOf(backend, bias) : 0,
      offsetOf(backend, y),
      n,
      H,
      W,
      C,
      info.outHeight,
      info.outWidth,
      K,
      info.padInfo.top,
      info.padInfo.left,
      relu ? 1 : 0,
      TB,
      offsetOf(backend, scratch),
      perPart,
    ],
    tiles * 16 * C * K, // size: multiply-adds
  );
  disposeAll(backend, U, scratch);
  return y;
}

/** Tiles a filter-gradient chunk: its transformed inputs and gradients (16 x (C + K) floats a tile) in ~4 MiB. */
function tilesPerChunk(C: number, K: number): number {
  return Math.max(16, 4 * Math.floor((4 << 20) / (64 * (C + K)) / 4));
}

/** dW[kh, kw, c, k] = (G^T S G)[kh, kw] for each (c, k) of S [16, C, K]. */
function filterFromProducts(S: Float32Array, C: number, K: number, dw: Float32Array): void {
  const plane = C * K;
  for (let ck = 0; ck < plane; ck++) {
    // G^T S: rows s0 + (s1 + s2) / 2, (s1 - s2) / 2, (s1 + s2) / 2 + s3 of the 4x4, per column j.
    for (let j = 0; j < 4; j++) {
      const s0 = S[j * plane + ck];
      const s1 = S[(4 + j) * plane + ck];
      const s2 = S[(8 + j) * plane + ck];
      const s3 = S[(12 + j) * plane + ck];
      tmp[j] = s0 + 0.5 * (s1 + s2);
      tmp[4 + j] = 0.5 * (s1 - s2);
      tmp[8 + j] = 0.5 * (s1 + s2) + s3;
    }
    // ... G: the same across each row.
    for (let kh = 0; kh < 3; kh++) {
      const r0 = tmp[4 * kh];
      const r1 = tmp[4 * kh + 1];
      const r2 = tmp[4 * kh + 2];
      const r3 = tmp[4 * kh + 3];
      dw[kh * 3 * plane + ck] = r0 + 0.5 * (r1 + r2);
      dw[(kh * 3 + 1) * plane + ck] = 0.5 * (r1 - r2);
      dw[(kh * 3 + 2) * plane + ck] = 0.5 * (r1 + r2) + r3;
    }
  }
}

/**
 * The filter gradient dW [3, 3, C, K] of a convolution `winogradApplies` accepted, from x [n, H, W, C] and
 * dy [n, OH, OW, K] (assembly/winogradFilterGradient.ts): per chunk of tiles, one pass transforms, the next adds
 * the chunk's 16 products into S; then dW = G^T S G.
 */
export function winogradFilterGradient(
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  backend: BackendWasm,
): TensorInfo {
  winogradCounts.filterGradients++;
  const [n, H, W, C] = x.shape;
  const K = info.outChannels;
  const { outHeight: OH, outWidth: OW } = info;
  const tiles = n * Math.ceil(OH / 2) * Math.ceil(OW / 2);
  const CH = Math.min(tilesPerChunk(C, K), 4 * Math.ceil(tiles / 4));
  const V = backend.makeOutput([16, CH, C], 'float32');
  const Z = backend.makeOutput([16, CH, K], 'float32');
  const S = backend.makeOutput([16, C, K], 'float32');
  const dw = backend.makeOutput([3, 3, C, K], 'float32');
  (backend.typedArrayFromHeap(S) as Float32Array).fill(0);
  for (let tile0 = 0; tile0 < tiles; tile0 += CH) {
    const count = Math.min(CH, tiles - tile0);
    runHeapLoop(
      backend,
      Loop.WinogradGradTransform,
      [
        offsetOf(backend, x),
        offsetOf(backend, dy),
        offsetOf(backend, V),
        offsetOf(backend, Z),
        H,
        W,
        C,
        OH,
        OW,
        K,
        info.padInfo.top,
        info.padInfo.left,
        tile0,
        count,
        CH,
      ],
      count * 16 * (C + K),
    );
    runHeapLoop(
      backend,
      Loop.WinogradGradProducts,
      [offsetOf(backend, V), offsetOf(backend, Z), offsetOf(backend, S), CH, count, C, K],
      count * 16 * C * K,
    );
  }
  filterFromProducts(
    backend.typedArrayFromHeap(S) as Float32Array,
    C,
    K,
    backend.typedArrayFromHeap(dw) as Float32Array,
  );
  disposeAll(backend, V, Z, S);
  return dw;
}
