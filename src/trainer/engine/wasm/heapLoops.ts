// The JavaScript loops of our wasm kernels, written to run on one part of the rows each, so that heapPool.ts can
// split a loop between the calling thread and worker threads that share the wasm heap. No imports: the worker
// (heapWorker.ts) loads this file alone.
//
// Every loop reads its operands from `f` (the whole heap as float32; offsets are in floats) and `p` (per-call
// parameters such as per-channel scales: shared, float64) and writes partial sums to `partial`, the part's own
// slice of a shared float64 scratch, which the caller adds up.

/** Control block (int32): call number, heap generation, parts finished, loop, parts, args count, parts failed,
 *  workers started. */
export const CTRL = { seq: 0, gen: 1, done: 2, loop: 3, parts: 4, nargs: 5, failed: 6, ready: 7, size: 8 } as const;
/** Floats of each part's partial-sum scratch (float64): 2 x 8192 channels. */
export const PARTIAL = 2 * 8192;
/** Floats of the shared per-call parameters (float64): 5 x 8192 channels. */
export const PARAMS = 5 * 8192;

/** What a worker is started with. */
export interface HeapWorkerData {
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
  params: SharedArrayBuffer;
  partials: SharedArrayBuffer;
  heap: SharedArrayBuffer;
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
  /** [a, b, c] -> [c, b, a], parts split b. a: [src, dst, a, b, c] */
  SwapOuterAxes,
  /** The transposed im2col matrix of a chunk of output pixels: row (kh, kw, c), column p, zero where the window
   *  reads padding; parts split the pixels. a: [x, dst, p0, len, inH, inW, channels, outH, outW, filterH,
   *  filterW, strideH, strideW, padTop, padLeft] */
  Im2ColT,
  /** max-pool gradient, parts split the batch. a: [x, dy, dx, batch, inH, inW, outH, outW, channels, strideH,
   *  strideW, filterH, filterW, padTop, padLeft] */
  MaxPoolGrad,
}

/** The half-open range of `count` items that part `part` of `parts` takes. */
export function partRange(count: number, part: number, parts: number): [number, number] {
  const per = Math.ceil(count / parts);
  return [Math.min(count, part * per), Math.min(count, (part + 1) * per)];
}

const TILE = 16;

export function runLoop(loop: Loop, a: ArrayLike<number>, f: Float32Array, p: Float64Array, partial: Float64Array, part: number, parts: number): void {
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
    case Loop.SwapOuterAxes:
      return swapOuterAxes(a, f, part, parts);
    case Loop.Im2ColT:
      return im2colT(a, f, part, parts);
    case Loop.MaxPoolGrad:
      return maxPoolGrad(a, f, part, parts);
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

function bnApply(a: ArrayLike<number>, f: Float32Array, p: Float64Array, part: number, parts: number): void {
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
    for (let i = r0 * c, end = r1 * c; i < end; i += c) for (let j = 0; j < c; j++) f[y + i + j] = f[x + i + j] * p[j] + p[c + j];
  }
}

function bnGradStats(a: ArrayLike<number>, f: Float32Array, p: Float64Array, partial: Float64Array, part: number, parts: number): void {
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

function bnGradApply(a: ArrayLike<number>, f: Float32Array, p: Float64Array, part: number, parts: number): void {
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

function columnSums(a: ArrayLike<number>, f: Float32Array, partial: Float64Array, part: number, parts: number): void {
  const [x, rows, c] = [a[0], a[1], a[2]];
  const [r0, r1] = partRange(rows, part, parts);
  partial.fill(0, 0, c);
  for (let i = x + r0 * c, end = x + r1 * c; i < end; i += c) for (let j = 0; j < c; j++) partial[j] += f[i + j];
}

function swapOuterAxes(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [src, dst, na, nb, nc] = [a[0], a[1], a[2], a[3], a[4]];
  const [p0, p1] = partRange(nb, part, parts);
  const srcA = nb * nc;
  const dstC = nb * na;
  for (let q = p0; q < p1; q++) {
    for (let i0 = 0; i0 < na; i0 += TILE) {
      const i1 = Math.min(na, i0 + TILE);
      for (let j0 = 0; j0 < nc; j0 += TILE) {
        const j1 = Math.min(nc, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const d = dst + j * dstC + q * na;
          const s = src + q * nc + j;
          for (let i = i0; i < i1; i++) f[d + i] = f[s + i * srcA];
        }
      }
    }
  }
}

/** dst[(kh * filterW + kw) * C + c][p] = x[pixel p0 + p shifted by (kh, kw)][c], in 16 x 16 tiles of (c, p). */
function im2colT(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [x, dst, p0, len, inH, inW, C, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft] = Array.from(a);
  const [q0, q1] = partRange(len, part, parts);
  const top = new Int32Array(TILE);
  const left = new Int32Array(TILE);
  const image = new Int32Array(TILE);
  const src = new Int32Array(TILE);
  for (let pb = q0; pb < q1; pb += TILE) {
    const pe = Math.min(q1, pb + TILE);
    for (let p = pb; p < pe; p++) {
      const g = p0 + p;
      const ow = g % outW;
      const t = (g - ow) / outW;
      const oh = t % outH;
      image[p - pb] = (t - oh) / outH;
      top[p - pb] = oh * strideH - padTop;
      left[p - pb] = ow * strideW - padLeft;
    }
    for (let kh = 0; kh < filterH; kh++) {
      for (let kw = 0; kw < filterW; kw++) {
        for (let p = pb; p < pe; p++) {
          const ih = top[p - pb] + kh;
          const iw = left[p - pb] + kw;
          src[p - pb] = ih < 0 || ih >= inH || iw < 0 || iw >= inW ? -1 : x + ((image[p - pb] * inH + ih) * inW + iw) * C;
        }
        const rowBase = (kh * filterW + kw) * C;
        for (let c0 = 0; c0 < C; c0 += TILE) {
          const c1 = Math.min(C, c0 + TILE);
          for (let c = c0; c < c1; c++) {
            const d = dst + (rowBase + c) * len;
            for (let p = pb; p < pe; p++) {
              const s = src[p - pb];
              f[d + p] = s < 0 ? 0 : f[s + c];
            }
          }
        }
      }
    }
  }
}

/** Per output pixel, each channel's first maximum in the window (cpu's and PyTorch's tie rule) receives dy. */
function maxPoolGrad(a: ArrayLike<number>, f: Float32Array, part: number, parts: number): void {
  const [x, dy, dx, batch, inH, inW, outH, outW, channels, strideH, strideW, filterH, filterW, padTop, padLeft] = Array.from(a);
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
