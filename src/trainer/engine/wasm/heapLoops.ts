// The JavaScript loops of our wasm kernels, written to run on one part of the rows each, so that heapPool.ts can
// split a loop between the calling thread and worker threads that share the wasm heap. No imports: the worker
// (heapWorker.ts) loads this file alone.
//
// Every loop reads its operands from `f` (the whole heap as float32; offsets are in floats) and `p` (per-call
// parameters such as per-channel scales, float32) and writes partial sums to `partial`, the part's own slice of a
// float64 scratch, which the caller adds up. When both scratches lie on the wasm heap and the SIMD module
// (assembly/heapSimd.ts) is loaded on this thread, the BatchNorm, column-sum and max-pool-gradient loops run
// there instead: the same arithmetic, 4 channels at a time, 6-8x faster than these JavaScript loops. The filter
// gradient exists there only.

/** Control block (int32): call number, heap generation, parts finished, loop, parts, args count, parts failed,
 *  workers started, whether to use the SIMD kernels, parts the workers ran on them, workers that loaded them. */
export const CTRL = {
  seq: 0,
  gen: 1,
  done: 2,
  loop: 3,
  parts: 4,
  nargs: 5,
  failed: 6,
  ready: 7,
  simd: 8,
  simdParts: 9,
  simdWorkers: 10,
  /** Per worker part p (< MAX_PARTS): the call it last started at started + p, the call it last finished at
   *  finished + p. */
  started: 16,
  finished: 16 + 64,
  size: 16 + 128,
} as const;
/** Parts a loop is split into at most (the control block has a slot per part). */
export const MAX_PARTS = 64;
/** Floats of each part's partial-sum scratch (float64): 2 x 8192 channels. */
export const PARTIAL = 2 * 8192;
/** Floats of the per-call parameters (float32): 5 x 8192 channels. */
export const PARAMS = 5 * 8192;

/** The exports of heapSimd.wasm: byte addresses on the wasm heap, `c` a multiple of 4. */
export interface SimdKernels {
  bnStats(x0: number, x: number, rows: number, c: number, acc: number): void;
  bnApply(x: number, y: number, rows: number, c: number, scale: number, shift: number, relu: number): void;
  bnGradStats(
    dy: number,
    x: number,
    mean: number,
    rows: number,
    c: number,
    scale: number,
    shift: number,
    relu: number,
    acc: number,
  ): void;
  bnGradApply(
    dy: number,
    x: number,
    mean: number,
    dx: number,
    rows: number,
    c: number,
    a: number,
    b: number,
    k: number,
    scale: number,
    shift: number,
    relu: number,
  ): void;
  columnSums(x: number, rows: number, c: number, acc: number): void;
  filterGradient(
    x: number,
    dy: number,
    dw: number,
    n: number,
    H: number,
    W: number,
    ci: number,
    OH: number,
    OW: number,
    co: number,
    KH: number,
    KW: number,
    sH: number,
    sW: number,
    padTop: number,
    padLeft: number,
    u0: number,
    u1: number,
  ): void;
  winograd3x3(
    x: number,
    U: number,
    bias: number,
    y: number,
    n: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    K: number,
    padTop: number,
    padLeft: number,
    relu: number,
    TB: number,
    blk0: number,
    blk1: number,
    scratch: number,
  ): void;
  winogradGradTransform(
    x: number,
    dy: number,
    V: number,
    Z: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    K: number,
    padTop: number,
    padLeft: number,
    tile0: number,
    CH: number,
    t0: number,
    t1: number,
    tmp: number,
  ): void;
  winogradGradProducts(
    V: number,
    Z: number,
    S: number,
    CH: number,
    count: number,
    C: number,
    K: number,
    u0: number,
    u1: number,
  ): void;
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    b0: number,
    b1: number,
    inH: number,
    inW: number,
    outH: number,
    outW: number,
    c: number,
    sH: number,
    sW: number,
    fH: number,
    fW: number,
    padTop: number,
    padLeft: number,
  ): void;
}

let simd: SimdKernels | null = null;

/** Runs this thread's loops that have a SIMD twin on `kernels` (null: JavaScript only). */
export function useSimdKernels(kernels: SimdKernels | null): void {
  simd = kernels;
}

/** The SIMD kernels, when they are loaded, the scratches are on the heap and the channels come in fours. */
function simdFor(c: number, heapScratch: boolean): SimdKernels | null {
  return simd && heapScratch && c % 4 === 0 ? simd : null;
}

/** What a worker is started with. */
export interface HeapWorkerData {
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  heap: SharedArrayBuffer;
  /** The heap as a WebAssembly.Memory (for the SIMD module) and where the scratches lie on it (bytes). */
  memory: WebAssembly.Memory;
  paramsAt: number;
  partialsAt: number;
  /** heapSimd.wasm, compiled; null when it could not be loaded. */
  simdModule: WebAssembly.Module | null;
  port: import('node:worker_threads').MessagePort;
  part: number;
}

export enum Loop {
  /** sums of (x - x[row 0]) and its square per channel. a: [x, rows, c] */
  BnStats,
  /** y = z = x * p[j] + p[c + j], or max(z, 0) when relu is 1. a: [x, y, rows, c, relu] */
  BnApply,
  /** sums of d and d * (x - mean) per channel, d = dy, or dy where z > 0 when relu is 1 (z from p as in BnApply).
   *  a: [dy, x, mean, rows, c, relu] */
  BnGradStats,
  /** dx = p[j] * d + p[c + j] * (x - mean) + p[2c + j] with d as in BnGradStats (z from p[3c..5c)).
   *  a: [dy, x, mean, dx, rows, c, relu] */
  BnGradApply,
  /** column sums of a [rows, c] matrix. a: [x, rows, c] */
  ColumnSums,
  /** x [n, H, W, C] -> [C, n, H + padH, W + padW], x placed at (padTop, padLeft), zeros around; parts split the
   *  batch. a: [x, dst, n, H, W, C, padTop, padLeft, paddedH, paddedW] */
  TransposePad,
  /** The transposed im2col matrix of a chunk of output pixels, from the transposed padded input: row (kh, kw, c),
   *  column p (output pixel p0 + p); parts split the channels. a: [xpT, dst, p0, len, n, paddedH, paddedW, C,
   *  outH, outW, filterH, filterW, strideH, strideW] */
  Im2ColT,
  /** max-pool gradient, parts split the batch. a: [x, dy, dx, batch, inH, inW, outH, outW, channels, strideH,
   *  strideW, filterH, filterW, padTop, padLeft] */
  MaxPoolGrad,
  /** The conv filter gradient dw [KH, KW, ci, co] from x and dy (SIMD only; co a multiple of 8); parts split
   *  (tap, 4 input channels) units. a: [x, dy, dw, n, H, W, ci, OH, OW, co, KH, KW, sH, sW, padTop, padLeft] */
  FilterGradient,
  /** A 3x3 stride-1 convolution by Winograd F(2x2, 3x3) (SIMD only; C a multiple of 4, K of 8); parts split the
   *  blocks of TB tiles, each part using its own slice of the scratch. a: [x, U, bias (0: none), y, n, H, W, C, OH,
   *  OW, K, padTop, padLeft, relu, TB, scratch, scratchFloatsPerPart] */
  Winograd3x3,
  /** The filter gradient's Winograd transforms of a chunk of tiles: V [16, CH, C] from x, Z [16, CH, K] from dy
   *  (SIMD only); parts split the chunk's tiles. a: [x, dy, V, Z, H, W, C, OH, OW, K, padTop, padLeft, tile0,
   *  count, CH] */
  WinogradGradTransform,
  /** S [16, C, K] += the chunk's products V[p]^T Z[p] (SIMD only); parts split (p, 4 input channels) units.
   *  a: [V, Z, S, CH, count, C, K] */
  WinogradGradProducts,
}

/** The half-open range of `count` items that part `part` of `parts` takes. */
export function partRange(count: number, part: number, parts: number): [number, number] {
  const per = Math.ceil(count / parts);
  return [Math.min(count, part * per), Math.min(count, (part + 1) * per)];
}

const TILE = 16;

/** `heapScratch`: `p` and `partial` are views of the wasm heap (their byteOffset is their address there).
 *  Returns whether the part ran on the SIMD kernels. */
export function runLoop(
  loop: Loop,
  a: ArrayLike<number>,
  f: Float32Array,
  p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
  heapScratch = false,
): boolean {
  const twin = SIMD_TWINS.get(loop);
  const k = twin ? simdFor(a[twin.channels], heapScratch) : null;
  if (twin && k) twin.run(k, a, p, partial, part, parts);
  else runJs(loop, a, f, p, partial, part, parts);
  return k !== null;
}

type SimdRun = (
  k: SimdKernels,
  a: ArrayLike<number>,
  p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
) => void;

/** The loops with a SIMD twin: which argument is their channel count, and the call. */
const SIMD_TWINS = new Map<Loop, { channels: number; run: SimdRun }>([
  [Loop.BnStats, { channels: 2, run: bnStatsSimd }],
  [Loop.BnApply, { channels: 3, run: bnApplySimd }],
  [Loop.BnGradStats, { channels: 4, run: bnGradStatsSimd }],
  [Loop.BnGradApply, { channels: 5, run: bnGradApplySimd }],
  [Loop.ColumnSums, { channels: 2, run: columnSumsSimd }],
  [Loop.FilterGradient, { channels: 9, run: filterGradientSimd }],
  [Loop.MaxPoolGrad, { channels: 8, run: maxPoolGradSimd }],
  [Loop.Winograd3x3, { channels: 7, run: winograd3x3Simd }],
  [Loop.WinogradGradTransform, { channels: 6, run: winogradGradTransformSimd }],
  [Loop.WinogradGradProducts, { channels: 5, run: winogradGradProductsSimd }],
]);

function runJs(
  loop: Loop,
  a: ArrayLike<number>,
  f: Float32Array,
  p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  // One small function per loop: V8 optimises each on its own (one large switch of loops ran ~3x slower).
  switch (loop) {
    case Loop.BnStats:
      return bnStats(a, f, partial, part, parts);
    case Loop.BnApply:
      return bnApply(a, f, p, part, parts);
    case Loop.BnGradStats:
      return bnGradStats(a, f, p, partial, part, parts);
    case Loop.BnGradApply:
      return bnGradApply(a, f, p, part, parts);
    case Loop.ColumnSums:
      return columnSums(a, f, partial, part, parts);
    case Loop.TransposePad:
      return transposePad(a, f, part, parts);
    case Loop.Im2ColT:
      return im2colT(a, f, part, parts);
    case Loop.MaxPoolGrad:
      return maxPoolGrad(a, f, part, parts);
    case Loop.FilterGradient:
      // Callers check heapSimdActive first; the JavaScript route is im2col x XNNPACK (conv2dBackpropFilter.ts).
      throw new Error('the filter-gradient loop needs the SIMD kernels');
    case Loop.Winograd3x3:
    case Loop.WinogradGradTransform:
    case Loop.WinogradGradProducts:
      // Callers check heapSimdActive first; otherwise the convolution stays on XNNPACK (conv2dWinograd.ts).
      throw new Error('the Winograd loops need the SIMD kernels');
  }
}

function bnStats(a: ArrayLike<number>, f: Float32Array, partial: Float64Array, part: number, parts: number): void {
  const [x, rows, c] = [a[0], a[1], a[2]];
  const [r0, r1] = partRange(rows, part, parts);
  partial.fill(0, 0, 2 * c);
  for (let i = x + r0 * c, end = x + r1 * c; i < end; i += c) {
    for (let j = 0; j < c; j++) {
      const d = f[i + j] - f[x + j];
      partial[j] += d;
      partial[c + j] += d * d;
    }
  }
}

function bnApply(a: ArrayLike<number>, f: Float32Array, p: Float32Array, part: number, parts: number): void {
  const [x, y, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4]];
  const [r0, r1] = partRange(rows, part, parts);
  if (relu) {
    for (let i = r0 * c, end = r1 * c; i < end; i += c) {
      for (let j = 0; j < c; j++) {
        // max(z, 0) without a branch: the sign is data-dependent, and a mispredicted branch cost 4x the loop.
        const z = f[x + i + j] * p[j] + p[c + j];
        f[y + i + j] = (z + Math.abs(z)) * 0.5;
      }
    }
  } else {
    for (let i = r0 * c, end = r1 * c; i < end; i += c)
      for (let j = 0; j < c; j++) f[y + i + j] = f[x + i + j] * p[j] + p[c + j];
  }
}

function bnGradStats(
  a: ArrayLike<number>,
  f: Float32Array,
  p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [dy, x, mean, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4], a[5]];
  const [r0, r1] = partRange(rows, part, parts);
  partial.fill(0, 0, 2 * c);
  for (let i = r0 * c, end = r1 * c; i < end; i += c) {
    for (let j = 0; j < c; j++) {
      const xv = f[x + i + j];
      // dy masked where the pre-activation was not positive, by a multiply (no data-dependent branch).
      const d = relu ? f[dy + i + j] * +(xv * p[j] + p[c + j] > 0) : f[dy + i + j];
      partial[j] += d;
      partial[c + j] += d * (xv - f[mean + j]);
    }
  }
}

function bnGradApply(a: ArrayLike<number>, f: Float32Array, p: Float32Array, part: number, parts: number): void {
  const [dy, x, mean, dx, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4], a[5], a[6]];
  const [r0, r1] = partRange(rows, part, parts);
  const [c2, c3, c4] = [2 * c, 3 * c, 4 * c];
  for (let i = r0 * c, end = r1 * c; i < end; i += c) {
    for (let j = 0; j < c; j++) {
      const xv = f[x + i + j];
      const d = relu ? f[dy + i + j] * +(xv * p[c3 + j] + p[c4 + j] > 0) : f[dy + i + j];
      f[dx + i + j] = p[j] * d + p[c + j] * (xv - f[mean + j]) + p[c2 + j];
    }
  }
}

// The SIMD twins (one signature, for SIMD_TWINS): the same arguments (offsets in floats), turned into byte
// addresses of this part's work.

function bnStatsSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, rows, c] = [a[0], a[1], a[2]];
  const [r0, r1] = partRange(rows, part, parts);
  k.bnStats(4 * x, 4 * (x + r0 * c), r1 - r0, c, partial.byteOffset);
}

function bnApplySimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, y, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4]];
  const [r0, r1] = partRange(rows, part, parts);
  k.bnApply(4 * (x + r0 * c), 4 * (y + r0 * c), r1 - r0, c, p.byteOffset, p.byteOffset + 4 * c, relu);
}

function bnGradStatsSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [dy, x, mean, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4], a[5]];
  const [r0, r1] = partRange(rows, part, parts);
  k.bnGradStats(
    4 * (dy + r0 * c),
    4 * (x + r0 * c),
    4 * mean,
    r1 - r0,
    c,
    p.byteOffset,
    p.byteOffset + 4 * c,
    relu,
    partial.byteOffset,
  );
}

function bnGradApplySimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [dy, x, mean, dx, rows, c, relu] = [a[0], a[1], a[2], a[3], a[4], a[5], a[6]];
  const [r0, r1] = partRange(rows, part, parts);
  const at = (i: number): number => p.byteOffset + 4 * i * c;
  k.bnGradApply(
    4 * (dy + r0 * c),
    4 * (x + r0 * c),
    4 * mean,
    4 * (dx + r0 * c),
    r1 - r0,
    c,
    at(0),
    at(1),
    at(2),
    at(3),
    at(4),
    relu,
  );
}

function columnSumsSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, rows, c] = [a[0], a[1], a[2]];
  const [r0, r1] = partRange(rows, part, parts);
  k.columnSums(4 * (x + r0 * c), r1 - r0, c, partial.byteOffset);
}

function filterGradientSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, dy, dw, n, H, W, ci, OH, OW, co, KH, KW, sH, sW, padTop, padLeft] = Array.from(a);
  const [u0, u1] = partRange(KH * KW * Math.ceil(ci / 4), part, parts);
  k.filterGradient(4 * x, 4 * dy, 4 * dw, n, H, W, ci, OH, OW, co, KH, KW, sH, sW, padTop, padLeft, u0, u1);
}

function winograd3x3Simd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, U, bias, y, n, H, W, C, OH, OW, K, padTop, padLeft, relu, TB, scratch, perPart] = Array.from(a);
  const tiles = n * Math.ceil(OH / 2) * Math.ceil(OW / 2);
  const [blk0, blk1] = partRange(Math.ceil(tiles / TB), part, parts);
  if (blk1 <= blk0) return;
  const at = 4 * (scratch + part * perPart);
  k.winograd3x3(4 * x, 4 * U, 4 * bias, 4 * y, n, H, W, C, OH, OW, K, padTop, padLeft, relu, TB, blk0, blk1, at);
}

function winogradGradTransformSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, dy, V, Z, H, W, C, OH, OW, K, padTop, padLeft, tile0, count, CH] = Array.from(a);
  const [t0, t1] = partRange(count, part, parts);
  if (t1 <= t0) return;
  // The part's partial-sum scratch serves as the transform's 256-byte temporary.
  k.winogradGradTransform(
    4 * x,
    4 * dy,
    4 * V,
    4 * Z,
    H,
    W,
    C,
    OH,
    OW,
    K,
    padTop,
    padLeft,
    tile0,
    CH,
    t0,
    t1,
    partial.byteOffset,
  );
}

function winogradGradProductsSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [V, Z, S, CH, count, C, K] = Array.from(a);
  const [u0, u1] = partRange(16 * (C / 4), part, parts);
  if (u1 > u0) k.winogradGradProducts(4 * V, 4 * Z, 4 * S, CH, count, C, K, u0, u1);
}

function maxPoolGradSimd(
  k: SimdKernels,
  a: ArrayLike<number>,
  _p: Float32Array,
  _partial: Float64Array,
  part: number,
  parts: number,
): void {
  const [x, dy, dx, batch, inH, inW, outH, outW, channels, strideH, strideW, filterH, filterW, padTop, padLeft] =
    Array.from(a);
  const [b0, b1] = partRange(batch, part, parts);
  k.maxPoolGrad(
    4 * x,
    4 * dy,
    4 * dx,
    b0,
    b1,
    inH,
    inW,
    outH,
    outW,
    channels,
    strideH,
    strideW,
    filterH,
    filterW,
    padTop,
    padLeft,
  );
}

function columnSums(a: ArrayLike<number>, f: Float32Array, partial: Float64Array, part: number, parts: number): void {
  const [x, rows, c] = [a[0], a[1], a[2]];
  const [r0, r1] = partRange(rows, part, parts);
  partial.fill(0, 0, c);
  for (let i = x + r0 * c, end = x + r1 * c; i < end; i += c) for (let j = 0; j < c; j++) partial[j] += f[i + j];
}

function transposePad(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [x, dst, n, H, W, C, padTop, padLeft, Hp, Wp] = Array.from(a);
  const [n0, n1] = partRange(n, part, parts);
  const plane = Hp * Wp;
  // Zero this part's images in every channel (the borders stay zero), then transpose each row [W, C] -> [C, W].
  for (let c = 0; c < C; c++) f.fill(0, dst + (c * n + n0) * plane, dst + (c * n + n1) * plane);
  for (let b = n0; b < n1; b++) {
    for (let h = 0; h < H; h++) {
      const src = x + (b * H + h) * W * C;
      const out = dst + b * plane + (h + padTop) * Wp + padLeft;
      for (let w0 = 0; w0 < W; w0 += TILE) {
        const w1 = Math.min(W, w0 + TILE);
        for (let c0 = 0; c0 < C; c0 += TILE) {
          const c1 = Math.min(C, c0 + TILE);
          for (let c = c0; c < c1; c++) {
            const o = out + c * n * plane;
            for (let w = w0; w < w1; w++) f[o + w] = f[src + w * C + c];
          }
        }
      }
    }
  }
}

/** dst[(kh * filterW + kw) * C + c][p] = xpT[c][image of p, oh * strideH + kh, ow * strideW + kw]: contiguous runs of
 *  one output row each, read from the channel's padded plane (no bounds checks: the padding is real zeros). */
function im2colT(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [xpT, dst, p0, len, n, Hp, Wp, C, outH, outW, filterH, filterW, strideH, strideW] = Array.from(a);
  const [c0, c1] = partRange(C, part, parts);
  const plane = Hp * Wp;
  const perImage = outH * outW;
  // The chunk's pixels as runs along output rows: where each starts in a channel's padded data (tap (0, 0)), and
  // how long it is. The same runs serve every (tap, channel) row.
  const runStart: number[] = [];
  const runLength: number[] = [];
  for (let p = p0, end = p0 + len; p < end; ) {
    const b = Math.floor(p / perImage);
    const r = p - b * perImage;
    const oh = Math.floor(r / outW);
    const ow0 = r - oh * outW;
    const run = Math.min(outW - ow0, end - p);
    runStart.push(b * plane + oh * strideH * Wp + ow0 * strideW);
    runLength.push(run);
    p += run;
  }
  const runs = runStart.length;
  for (let c = c0; c < c1; c++) {
    const channel = xpT + c * n * plane;
    for (let kh = 0; kh < filterH; kh++) {
      for (let kw = 0; kw < filterW; kw++) {
        let d = dst + ((kh * filterW + kw) * C + c) * len;
        const tap = channel + kh * Wp + kw;
        for (let k = 0; k < runs; k++) {
          const src = tap + runStart[k];
          const run = runLength[k];
          if (strideW === 1) for (let q = 0; q < run; q++) f[d + q] = f[src + q];
          else for (let q = 0; q < run; q++) f[d + q] = f[src + q * strideW];
          d += run;
        }
      }
    }
  }
}

/** Per output pixel, each channel's first maximum in the window (cpu's and PyTorch's tie rule) receives dy. */
function maxPoolGrad(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [x, dy, dx, batch, inH, inW, outH, outW, channels, strideH, strideW, filterH, filterW, padTop, padLeft] =
    Array.from(a);
  const [b0, b1] = partRange(batch, part, parts);
  f.fill(0, dx + b0 * inH * inW * channels, dx + b1 * inH * inW * channels);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padTop;
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * strideW - padLeft;
        best.fill(-Infinity);
        where.fill(-1);
        for (let kh = 0; kh < filterH; kh++) {
          const h = h0 + kh;
          if (h < 0 || h >= inH) continue;
          for (let kw = 0; kw < filterW; kw++) {
            const w = w0 + kw;
            if (w < 0 || w >= inW) continue;
            const base = ((b * inH + h) * inW + w) * channels;
            for (let c = 0; c < channels; c++) {
              const v = f[x + base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyBase = dy + ((b * outH + oh) * outW + ow) * channels;
        for (let c = 0; c < channels; c++) if (where[c] >= 0) f[dx + where[c]] += f[dyBase + c];
      }
    }
  }
}
