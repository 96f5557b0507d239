// AssemblyScript, compiled by scripts/build.mjs to dist/trainer/heapSimd.wasm: the hot heap loops of our wasm
// kernels (heapLoops.ts has their JavaScript twins, the fallback and the tests' oracle) with 128-bit SIMD along the
// contiguous channel axis. The module imports tfjs's own shared wasm memory and has no data, stack or globals of
// its own, so it can run on any thread beside tfjs. Pointers are byte addresses in that memory; `c` is a multiple
// of 4; rows are the part of the rows the caller (heapPool.ts) gave this thread. Per-channel sums accumulate in
// float64, as the JavaScript loops do. (AssemblyScript, not TypeScript: the project's tsconfig leaves this folder
// to its own, which extends AssemblyScript's.)

const HI = i8x16(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);

/** Adds the four lanes of `v` (float32) to acc[0..4) (float64). */
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
