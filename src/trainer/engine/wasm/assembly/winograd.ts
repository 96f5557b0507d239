// AssemblyScript (see heapSimd.ts, which exports this): a 3x3, stride-1 convolution by Winograd's minimal
// filtering F(2x2, 3x3) (Lavin and Gray, 2016). Each 2x2 block of outputs ("tile") comes from a 4x4 input patch d:
//   Y = A^T [ U (.) (B^T d B) ] A,  U = G g G^T, the filter g transformed once per call by the caller,
// so the 36 multiply-adds per tile and channel pair of the direct convolution become 16: the product is 16 small
// matrix products V[p] [tiles, C] x U[p] [C, K], one per point p of the 4x4 transform, 2.25x fewer multiply-adds.
// Tiles go in blocks small enough that a block's transformed input stays in cache across all of K; the products
// use the same 4 x 8 register tile as the filter gradient. x [n, H, W, C] (C a multiple of 4), U [16, C, K]
// (K a multiple of 8; stored [16, K / 8, C, 8]), y [n, OH, OW, K]; input pixels outside the image read as zero (the padding).

/** x[b, iy, ix, c..c+4], or zeros outside the image. */
// @ts-ignore: decorator
@inline function pixel(x: usize, b: i32, iy: i32, ix: i32, H: i32, W: i32, C: i32, c: i32): v128 {
  if (<u32>iy >= <u32>H || <u32>ix >= <u32>W) return f32x4.splat(0);
  return v128.load(x + (<usize>(((b * H + iy) * W + ix) * C + c) << 2));
}

/** The 4 transformed values of one row (or column) of a patch: B^T applied to (d0, d1, d2, d3). */
// @ts-ignore: decorator
@inline function store4(at: usize, step: usize, d0: v128, d1: v128, d2: v128, d3: v128): void {
  v128.store(at, f32x4.sub(d0, d2));
  v128.store(at + step, f32x4.add(d1, d2));
  v128.store(at + 2 * step, f32x4.sub(d2, d1));
  v128.store(at + 3 * step, f32x4.sub(d1, d3));
}

/** V[p, t, c] = (B^T d B)[p] for rows t0 <= t < t1 of a [16, TB, C] buffer, row t holding tile tile0 + t; tmp is
 *  256 bytes of this thread's scratch. */
export function transformTiles(x: usize, V: usize, tile0: i32, t0: i32, t1: i32, TB: i32, H: i32, W: i32, C: i32,
  TH: i32, TW: i32, padTop: i32, padLeft: i32, tmp: usize): void {
  const rowBytes = <usize>C << 2;
  const pStep = <usize>TB * rowBytes; // between two transform points p
  for (let t = t0; t < t1; t++) {
    const vt = V + <usize>t * rowBytes;
    const tile = tile0 + t;
    const b = tile / (TH * TW);
    const rem = tile - b * TH * TW;
    const ty = rem / TW;
    const iy = 2 * ty - padTop;
    const ix = 2 * (rem - ty * TW) - padLeft;
    for (let c = 0; c < C; c += 4) {
      // B^T d: the four columns of the patch, transformed down the rows into tmp[i][j] (16 vectors).
      for (let j = 0; j < 4; j++) {
        store4(tmp + (<usize>j << 4), 64,
          pixel(x, b, iy, ix + j, H, W, C, c), pixel(x, b, iy + 1, ix + j, H, W, C, c),
          pixel(x, b, iy + 2, ix + j, H, W, C, c), pixel(x, b, iy + 3, ix + j, H, W, C, c));
      }
      // (B^T d) B: each row across its columns, into V[i * 4 + j].
      const out = vt + (<usize>c << 2);
      for (let i = 0; i < 4; i++) {
        const r = tmp + (<usize>i << 6);
        store4(out + <usize>(4 * i) * pStep, pStep, v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48));
      }
    }
  }
}

/** The block's V (see transformTiles), its rows t >= count zero. */
function inputTransform(x: usize, V: usize, tile0: i32, count: i32, TB: i32, H: i32, W: i32, C: i32, TH: i32, TW: i32,
  padTop: i32, padLeft: i32, tmp: usize): void {
  transformTiles(x, V, tile0, 0, count, TB, H, W, C, TH, TW, padTop, padLeft, tmp);
  const rowBytes = <usize>C << 2;
  for (let p = 0; p < 16; p++) {
    memory.fill(V + (<usize>p * TB + count) * rowBytes, 0, <usize>(TB - count) * rowBytes);
  }
}

/** M[p, t, 0..8) = V[p, t, :] . U[p, :, k0..k0+8) for every point p and the block's TB tiles (TB a multiple of 4).
 *  U is stored as [16, K / 8, C, 8], so each (p, k0) strip is read front to back. */
function products(V: usize, U: usize, M: usize, TB: i32, C: i32, K: i32, k0: i32): void {
  const rowBytes = <usize>C << 2;
  for (let p = 0; p < 16; p++) {
    const up0 = U + ((<usize>p * C * K + <usize>k0 * C) << 2);
    for (let t = 0; t < TB; t += 4) {
      let vp = V + (<usize>p * TB + t) * rowBytes;
      let up = up0;
      let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
      for (let c = 0; c < C; c++) {
        const u0 = v128.load(up), u1 = v128.load(up, 16);
        let s = v128.load32_splat(vp);
        a0 = f32x4.add(a0, f32x4.mul(s, u0)); a1 = f32x4.add(a1, f32x4.mul(s, u1));
        s = v128.load32_splat(vp + rowBytes);
        b0 = f32x4.add(b0, f32x4.mul(s, u0)); b1 = f32x4.add(b1, f32x4.mul(s, u1));
        s = v128.load32_splat(vp + 2 * rowBytes);
        c0 = f32x4.add(c0, f32x4.mul(s, u0)); c1 = f32x4.add(c1, f32x4.mul(s, u1));
        s = v128.load32_splat(vp + 3 * rowBytes);
        d0 = f32x4.add(d0, f32x4.mul(s, u0)); d1 = f32x4.add(d1, f32x4.mul(s, u1));
        vp += 4;
        up += 32;
      }
      const m = M + ((<usize>p * TB + t) << 5);
      v128.store(m, a0); v128.store(m, a1, 16);
      v128.store(m, b0, 32); v128.store(m, b1, 48);
      v128.store(m, c0, 64); v128.store(m, c1, 80);
      v128.store(m, d0, 96); v128.store(m, d1, 112);
    }
  }
}

/** y's 2x2 outputs of the block's tiles t < count at channels k0..k0+8: A^T M A, plus bias, then ReLU. */
function outputTransform(M: usize, y: usize, bias: usize, relu: i32, tile0: i32, count: i32, TB: i32, OH: i32, OW: i32,
  K: i32, TH: i32, TW: i32, k0: i32): void {
  const pStep = <usize>TB << 5;
  const floor = relu ? f32x4.splat(0) : f32x4.splat(-Infinity);
  for (let t = 0; t < count; t++) {
    const tile = tile0 + t;
    const b = tile / (TH * TW);
    const rem = tile - b * TH * TW;
    const ty = rem / TW;
    const oy = 2 * ty;
    const ox = 2 * (rem - ty * TW);
    for (let h: usize = 0; h < 32; h += 16) {
      const m = M + (<usize>t << 5) + h;
      // A^T M: rows 0 + 1 + 2 and 1 - 2 - 3 of the 4x4 points, for each column j.
      const m0 = v128.load(m), m1 = v128.load(m + pStep), m2 = v128.load(m + 2 * pStep), m3 = v128.load(m + 3 * pStep);
      const m4 = v128.load(m + 4 * pStep), m5 = v128.load(m + 5 * pStep), m6 = v128.load(m + 6 * pStep), m7 = v128.load(m + 7 * pStep);
      const m8 = v128.load(m + 8 * pStep), m9 = v128.load(m + 9 * pStep), m10 = v128.load(m + 10 * pStep), m11 = v128.load(m + 11 * pStep);
      const m12 = v128.load(m + 12 * pStep), m13 = v128.load(m + 13 * pStep), m14 = v128.load(m + 14 * pStep), m15 = v128.load(m + 15 * pStep);
      const s00 = f32x4.add(f32x4.add(m0, m4), m8), s01 = f32x4.add(f32x4.add(m1, m5), m9);
      const s02 = f32x4.add(f32x4.add(m2, m6), m10), s03 = f32x4.add(f32x4.add(m3, m7), m11);
      const s10 = f32x4.sub(f32x4.sub(m4, m8), m12), s11 = f32x4.sub(f32x4.sub(m5, m9), m13);
      const s12 = f32x4.sub(f32x4.sub(m6, m10), m14), s13 = f32x4.sub(f32x4.sub(m7, m11), m15);
      // ... A: the same across the columns.
      const beta = bias ? v128.load(bias + (<usize>k0 << 2) + h) : f32x4.splat(0);
      const y00 = f32x4.max(f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), beta), floor);
      const y01 = f32x4.max(f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), beta), floor);
      const y10 = f32x4.max(f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), beta), floor);
      const y11 = f32x4.max(f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), beta), floor);
      const row0 = y + (<usize>(((b * OH + oy) * OW + ox) * K + k0) << 2) + h;
      const rowBytes = <usize>(OW * K) << 2;
      const right = ox + 1 < OW;
      v128.store(row0, y00);
      if (right) v128.store(row0 + (<usize>K << 2), y01);
      if (oy + 1 < OH) {
        v128.store(row0 + rowBytes, y10);
        if (right) v128.store(row0 + rowBytes + (<usize>K << 2), y11);
      }
    }
  }
}

/**
 * y = conv3x3(x, g) (+ bias, then ReLU when relu is 1) for tile blocks [blk0, blk1) of TB tiles each, tiles
 * numbered (b, ty, tx) over TH x TW tiles an image. U is G g G^T [16, K / 8, C, 8]; bias a byte address or 0; scratch
 * holds this part's 16 x TB x C transformed inputs, 16 x TB x 8 products and 256 bytes.
 */
export function winograd3x3(x: usize, U: usize, bias: usize, y: usize, n: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  K: i32, padTop: i32, padLeft: i32, relu: i32, TB: i32, blk0: i32, blk1: i32, scratch: usize): void {
  const TH = (OH + 1) >> 1;
  const TW = (OW + 1) >> 1;
  const tiles = n * TH * TW;
  const V = scratch;
  const M = V + ((<usize>16 * TB * C) << 2);
  const tmp = M + ((<usize>16 * TB * 8) << 2);
  for (let blk = blk0; blk < blk1; blk++) {
    const tile0 = blk * TB;
    const count = min(TB, tiles - tile0);
    if (count <= 0) break;
    inputTransform(x, V, tile0, count, TB, H, W, C, TH, TW, padTop, padLeft, tmp);
    for (let k0 = 0; k0 < K; k0 += 8) {
      products(V, U, M, TB, C, K, k0);
      outputTransform(M, y, bias, relu, tile0, count, TB, OH, OW, K, TH, TW, k0);
    }
  }
}
