// AssemblyScript, compiled by scripts/build.mjs to dist/trainer/heapSimd.wasm (and heapSimd.unshared.wasm for
// tfjs's single-threaded build): the hot heap loops of our wasm kernels with 128-bit SIMD along the contiguous
// channel axis. heapLoops.ts has JavaScript twins of all but the filter gradient: the fallback and the tests'
// oracle. The module imports tfjs's own wasm memory and has no data, stack or globals of its own, so it can run
// on any thread beside tfjs. Pointers are byte addresses in that memory; channel counts are multiples of 4 (out
// channels of 8 for the filter gradient); each call covers the part of the work the caller (heapPool.ts) gave
// this thread. Per-channel sums accumulate in float64, as the JavaScript loops do. (AssemblyScript, not
// TypeScript: the project's tsconfig leaves this folder to its own, which extends AssemblyScript's.)

// The Winograd convolution and its filter gradient live in their own files.
export { winograd3x3 } from './winograd';
export { winogradGradProducts, winogradGradTransform } from './winogradFilterGradient';

const HI = i8x16(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);

/** Adds the four lanes of `v` (float32) to acc[0..4) (float64). */
// @ts-ignore: decorator
@inline function accumulate(acc: usize, v: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(v)));
  v128.store(acc + 16, f64x2.add(v128.load(acc + 16), f64x2.promote_low_f32x4(v128.swizzle(v, HI))));
}

function zero(acc: usize, doubles: i32): void {
  memory.fill(acc, 0, <usize>doubles << 3);
}

/** acc[j] = sum of (x - x0), acc[c + j] = sum of (x - x0)^2 over the rows, x0 = the tensor's row 0. */
export function bnStats(x0: usize, x: usize, rows: i32, c: i32, acc: usize): void {
  zero(acc, 2 * c);
  const rowBytes = <usize>c << 2;
  const sq = acc + (<usize>c << 3);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const d = f32x4.sub(v128.load(xr + j), v128.load(x0 + j));
      const lo = f64x2.promote_low_f32x4(d);
      const hi = f64x2.promote_low_f32x4(v128.swizzle(d, HI));
      const k = j << 1;
      v128.store(acc + k, f64x2.add(v128.load(acc + k), lo));
      v128.store(acc + k + 16, f64x2.add(v128.load(acc + k + 16), hi));
      v128.store(sq + k, f64x2.add(v128.load(sq + k), f64x2.mul(lo, lo)));
      v128.store(sq + k + 16, f64x2.add(v128.load(sq + k + 16), f64x2.mul(hi, hi)));
    }
  }
}

/** y = x * scale + shift per channel, clamped at 0 when relu is 1. */
export function bnApply(x: usize, y: usize, rows: i32, c: i32, scale: usize, shift: usize, relu: i32): void {
  const rowBytes = <usize>c << 2;
  const end = <usize>rows * rowBytes;
  const floor = relu ? f32x4.splat(0) : f32x4.splat(-Infinity);
  for (let i: usize = 0; i < end; i += rowBytes) {
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const z = f32x4.add(f32x4.mul(v128.load(x + i + j), v128.load(scale + j)), v128.load(shift + j));
      v128.store(y + i + j, f32x4.max(z, floor));
    }
  }
}

/** acc[j] = sum of d, acc[c + j] = sum of d * (x - mean), d = dy, or dy where x * scale + shift > 0 when relu is 1. */
export function bnGradStats(dy: usize, x: usize, mean: usize, rows: i32, c: i32, scale: usize, shift: usize, relu: i32, acc: usize): void {
  zero(acc, 2 * c);
  const rowBytes = <usize>c << 2;
  const end = <usize>rows * rowBytes;
  const dxc = acc + (<usize>c << 3);
  const all = i32x4.splat(-1);
  const zeros = f32x4.splat(0);
  for (let i: usize = 0; i < end; i += rowBytes) {
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const xv = v128.load(x + i + j);
      const mask = relu ? f32x4.gt(f32x4.add(f32x4.mul(xv, v128.load(scale + j)), v128.load(shift + j)), zeros) : all;
      const d = v128.and(v128.load(dy + i + j), mask);
      accumulate(acc + (j << 1), d);
      const xc = f32x4.sub(xv, v128.load(mean + j));
      const lo = f64x2.mul(f64x2.promote_low_f32x4(d), f64x2.promote_low_f32x4(xc));
      const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.swizzle(d, HI)), f64x2.promote_low_f32x4(v128.swizzle(xc, HI)));
      const k = dxc + (j << 1);
      v128.store(k, f64x2.add(v128.load(k), lo));
      v128.store(k + 16, f64x2.add(v128.load(k + 16), hi));
    }
  }
}

/** dx = a * d + b * (x - mean) + k per channel, d as in bnGradStats. */
export function bnGradApply(dy: usize, x: usize, mean: usize, dx: usize, rows: i32, c: i32, a: usize, b: usize, k: usize,
  scale: usize, shift: usize, relu: i32): void {
  const rowBytes = <usize>c << 2;
  const end = <usize>rows * rowBytes;
  const all = i32x4.splat(-1);
  const zeros = f32x4.splat(0);
  for (let i: usize = 0; i < end; i += rowBytes) {
    for (let j: usize = 0; j < rowBytes; j += 16) {
      const xv = v128.load(x + i + j);
      const mask = relu ? f32x4.gt(f32x4.add(f32x4.mul(xv, v128.load(scale + j)), v128.load(shift + j)), zeros) : all;
      const d = v128.and(v128.load(dy + i + j), mask);
      const xc = f32x4.sub(xv, v128.load(mean + j));
      const out = f32x4.add(f32x4.add(f32x4.mul(v128.load(a + j), d), f32x4.mul(v128.load(b + j), xc)), v128.load(k + j));
      v128.store(dx + i + j, out);
    }
  }
}

/** acc[j] = sum over the rows of x[row, j]. */
export function columnSums(x: usize, rows: i32, c: i32, acc: usize): void {
  zero(acc, c);
  const rowBytes = <usize>c << 2;
  const end = <usize>rows * rowBytes;
  for (let i: usize = 0; i < end; i += rowBytes) {
    for (let j: usize = 0; j < rowBytes; j += 16) accumulate(acc + (j << 1), v128.load(x + i + j));
  }
}

/**
 * The convolution filter gradient, directly from x [n, H, W, ci] and dy [n, OH, OW, co] (co a multiple of 8):
 *   dw[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*sH + kh - padTop, ow*sW + kw - padLeft, ci] * dy[b, oh, ow, co]
 * for this part's units u0 <= u < u1, unit u = (tap, block of 4 input channels). Taps outside x add nothing, so
 * they are skipped rather than padded. The pixels go in blocks of whole output rows (about 32 pixels) so that a
 * block's x and dy rows can stay in L1 (about 16 KB at 64 channels) across every (tap, ci block, co block) tile;
 * a tile keeps its 4 x 8 sums in registers over the block.
 */
export function filterGradient(x: usize, dy: usize, dw: usize, n: i32, H: i32, W: i32, ci: i32, OH: i32, OW: i32, co: i32,
  KH: i32, KW: i32, sH: i32, sW: i32, padTop: i32, padLeft: i32, u0: i32, u1: i32): void {
  const ciBlocks = (ci + 3) >> 2;
  const coBytes = <usize>co << 2;
  // Zero this part's slice of dw: unit u covers rows (tap, ci0 .. ci0 + 4) of the [KH*KW*ci, co] matrix.
  for (let u = u0; u < u1; u++) {
    const tap = u / ciBlocks;
    const c0 = (u % ciBlocks) << 2;
    memory.fill(dw + <usize>(tap * ci + c0) * coBytes, 0, <usize>min(4, ci - c0) * coBytes);
  }
  const rowsPerBlock = max(1, 32 / OW);
  const rows = n * OH;
  for (let r0 = 0; r0 < rows; r0 += rowsPerBlock) {
    const r1 = min(rows, r0 + rowsPerBlock);
    for (let u = u0; u < u1; u++) {
      const tap = u / ciBlocks;
      const kh = tap / KW;
      const kw = tap % KW;
      const c0 = (u % ciBlocks) << 2;
      const cn = min(4, ci - c0);
      // Output columns whose input column ow*sW + kw - padLeft lies in [0, W) (integer division truncates towards
      // zero, so a negative bound is settled before dividing).
      const owLo = padLeft - kw > 0 ? (padLeft - kw + sW - 1) / sW : 0;
      const last = W - 1 + padLeft - kw;
      const owHi = last < 0 ? 0 : min(OW, last / sW + 1);
      if (owHi <= owLo) continue;
      const w0 = dw + <usize>(tap * ci + c0) * coBytes;
      for (let o: usize = 0; o < coBytes; o += 32) {
        if (cn == 4) tile4(x, dy, w0 + o, o, r0, r1, OH, OW, H, W, ci, kh, kw, sH, sW, padTop, padLeft, owLo, owHi, coBytes, c0);
        else for (let k = 0; k < cn; k++) tile1(x, dy, w0 + <usize>k * coBytes + o, o, r0, r1, OH, OW, H, W, ci, kh, kw, sH, sW, padTop, padLeft, owLo, owHi, coBytes, c0 + k);
      }
    }
  }
}

/** The byte address of x[b, ih, iw0 + kw, c] for output row r = (b, oh), ih = oh*sH + kh - padTop, or 0 when
 *  that input row lies outside the image (x + anything in range is never 0). */
// @ts-ignore: decorator
@inline function xRow(x: usize, r: i32, OH: i32, H: i32, W: i32, ci: i32, kh: i32, kw: i32, sH: i32, padTop: i32, iw0: i32, c: i32): usize {
  const b = r / OH;
  const ih = (r - b * OH) * sH + kh - padTop;
  if (<u32>ih >= <u32>H) return 0;
  return x + (<usize>(((b * H + ih) * W + iw0 + kw) * ci + c) << 2);
}

/** dw rows ci0 .. ci0 + 4 (w: the first row at this tile's columns o/4 .. o/4 + 8) over output rows [r0, r1). */
// @ts-ignore: decorator
@inline function tile4(x: usize, dy: usize, w: usize, o: usize, r0: i32, r1: i32, OH: i32, OW: i32, H: i32, W: i32, ci: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padTop: i32, padLeft: i32, owLo: i32, owHi: i32, coBytes: usize, ci0: i32): void {
  const w1 = w + coBytes, w2 = w1 + coBytes, w3 = w2 + coBytes;
  let a0 = v128.load(w), a1 = v128.load(w, 16);
  let b0 = v128.load(w1), b1 = v128.load(w1, 16);
  let c0 = v128.load(w2), c1 = v128.load(w2, 16);
  let d0 = v128.load(w3), d1 = v128.load(w3, 16);
  const xStep = <usize>(sW * ci) << 2;
  const count = owHi - owLo;
  for (let r = r0; r < r1; r++) {
    let xp = xRow(x, r, OH, H, W, ci, kh, kw, sH, padTop, sW * owLo - padLeft, ci0);
    if (xp == 0) continue;
    let gp = dy + <usize>(r * OW + owLo) * coBytes + o;
    for (let k = 0; k < count; k++) {
      const g0 = v128.load(gp), g1 = v128.load(gp, 16);
      let s = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(s, g0)); a1 = f32x4.add(a1, f32x4.mul(s, g1));
      s = v128.load32_splat(xp, 4);
      b0 = f32x4.add(b0, f32x4.mul(s, g0)); b1 = f32x4.add(b1, f32x4.mul(s, g1));
      s = v128.load32_splat(xp, 8);
      c0 = f32x4.add(c0, f32x4.mul(s, g0)); c1 = f32x4.add(c1, f32x4.mul(s, g1));
      s = v128.load32_splat(xp, 12);
      d0 = f32x4.add(d0, f32x4.mul(s, g0)); d1 = f32x4.add(d1, f32x4.mul(s, g1));
      xp += xStep;
      gp += coBytes;
    }
  }
  v128.store(w, a0); v128.store(w, a1, 16);
  v128.store(w1, b0); v128.store(w1, b1, 16);
  v128.store(w2, c0); v128.store(w2, c1, 16);
  v128.store(w3, d0); v128.store(w3, d1, 16);
}

/** One dw row (input channel c) of a tile, for the last ci block when ci is not a multiple of 4. */
// @ts-ignore: decorator
@inline function tile1(x: usize, dy: usize, w: usize, o: usize, r0: i32, r1: i32, OH: i32, OW: i32, H: i32, W: i32, ci: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padTop: i32, padLeft: i32, owLo: i32, owHi: i32, coBytes: usize, c: i32): void {
  let a0 = v128.load(w), a1 = v128.load(w, 16);
  const xStep = <usize>(sW * ci) << 2;
  const count = owHi - owLo;
  for (let r = r0; r < r1; r++) {
    let xp = xRow(x, r, OH, H, W, ci, kh, kw, sH, padTop, sW * owLo - padLeft, c);
    if (xp == 0) continue;
    let gp = dy + <usize>(r * OW + owLo) * coBytes + o;
    for (let k = 0; k < count; k++) {
      const s = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(gp)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(gp, 16)));
      xp += xStep;
      gp += coBytes;
    }
  }
  v128.store(w, a0); v128.store(w, a1, 16);
}

/**
 * The max-pool gradient for images [b0, b1): per output pixel and 4 channels at a time, each channel's first
 * maximum in the window (strictly greater replaces, as the JavaScript loop, the cpu backend and PyTorch do)
 * receives dy there. Windows may overlap, so dy is added, into a dx zeroed first.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, b0: i32, b1: i32, inH: i32, inW: i32, outH: i32, outW: i32, c: i32,
  sH: i32, sW: i32, fH: i32, fW: i32, padTop: i32, padLeft: i32): void {
  const image = <usize>(inH * inW * c) << 2;
  memory.fill(dx + <usize>b0 * image, 0, <usize>(b1 - b0) * image);
  const lanes = i32x4(0, 1, 2, 3);
  const none = i32x4.splat(-1);
  const lowest = f32x4.splat(-Infinity);
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * sH - padTop;
      const khLo = max(0, -h0), khHi = min(fH, inH - h0);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * sW - padLeft;
        const kwLo = max(0, -w0), kwHi = min(fW, inW - w0);
        const g = dy + (<usize>(((b * outH + oh) * outW + ow) * c) << 2);
        for (let j = 0; j < c; j += 4) {
          let best = lowest;
          let where = none;
          for (let kh = khLo; kh < khHi; kh++) {
            for (let kw = kwLo; kw < kwHi; kw++) {
              const at = ((b * inH + h0 + kh) * inW + w0 + kw) * c + j;
              const v = v128.load(x + (<usize>at << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              where = v128.bitselect(i32x4.add(i32x4.splat(at), lanes), where, gt);
            }
          }
          const gv = v128.load(g + (<usize>j << 2));
          route(dx, i32x4.extract_lane(where, 0), f32x4.extract_lane(gv, 0));
          route(dx, i32x4.extract_lane(where, 1), f32x4.extract_lane(gv, 1));
          route(dx, i32x4.extract_lane(where, 2), f32x4.extract_lane(gv, 2));
          route(dx, i32x4.extract_lane(where, 3), f32x4.extract_lane(gv, 3));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function route(dx: usize, at: i32, g: f32): void {
  if (at >= 0) {
    const p = dx + (<usize>at << 2);
    store<f32>(p, load<f32>(p) + g);
  }
}
