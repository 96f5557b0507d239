// AssemblyScript (exported by heapSimd.ts): the filter gradient of a 3x3 stride-1 convolution by the same
// Winograd F(2x2, 3x3) as the forward pass (winograd.ts). The forward is Y_t = A^T [U (.) V_t] A per tile t with
// U = G g G^T, so
//   dL/dg = G^T S G,  S = sum over tiles t of Z_t (.) V_t,  Z_t = A dY_t A^T,  V_t = B^T d_t B,
// and S is 16 products S[p] = V[p]^T Z[p] reduced over tiles: 2.25x fewer multiply-adds than the direct filter
// gradient. The caller (conv2dWinograd.ts) runs it in chunks of tiles: one pass transforms a chunk's tiles (parts
// split the tiles), the next adds the chunk's products into S (parts split (p, 4 input channels) units), and G^T S G
// is done once at the end. Output-gradient pixels past the output's edge (a partial tile) read as zero.
import { transformTiles } from './winograd';

/** dy[b, oy, ox, k..k+4], or zeros outside the output. */
// @ts-ignore: decorator
@inline function grad(dy: usize, b: i32, oy: i32, ox: i32, OH: i32, OW: i32, K: i32, k: i32): v128 {
  if (oy >= OH || ox >= OW) return f32x4.splat(0);
  return v128.load(dy + (<usize>(((b * OH + oy) * OW + ox) * K + k) << 2));
}

/** Z[p, t, k] = (A dY A^T)[p] for rows t0 <= t < t1 of a [16, CH, K] buffer, row t holding tile tile0 + t. */
function transformGradients(dy: usize, Z: usize, tile0: i32, t0: i32, t1: i32, CH: i32, OH: i32, OW: i32, K: i32,
  TH: i32, TW: i32): void {
  const rowBytes = <usize>K << 2;
  const pStep = <usize>CH * rowBytes;
  for (let t = t0; t < t1; t++) {
    const tile = tile0 + t;
    const b = tile / (TH * TW);
    const rem = tile - b * TH * TW;
    const ty = rem / TW;
    const oy = 2 * ty;
    const ox = 2 * (rem - ty * TW);
    for (let k = 0; k < K; k += 4) {
      const g00 = grad(dy, b, oy, ox, OH, OW, K, k), g01 = grad(dy, b, oy, ox + 1, OH, OW, K, k);
      const g10 = grad(dy, b, oy + 1, ox, OH, OW, K, k), g11 = grad(dy, b, oy + 1, ox + 1, OH, OW, K, k);
      // A dY: rows g0, g0 + g1, g0 - g1, -g1; then the same across the two columns of each row.
      const out = Z + <usize>t * rowBytes + (<usize>k << 2);
      row(out, pStep, g00, g01);
      row(out + 4 * pStep, pStep, f32x4.add(g00, g10), f32x4.add(g01, g11));
      row(out + 8 * pStep, pStep, f32x4.sub(g00, g10), f32x4.sub(g01, g11));
      row(out + 12 * pStep, pStep, f32x4.neg(g10), f32x4.neg(g11));
    }
  }
}

// @ts-ignore: decorator
@inline function row(at: usize, step: usize, a: v128, b: v128): void {
  v128.store(at, a);
  v128.store(at + step, f32x4.add(a, b));
  v128.store(at + 2 * step, f32x4.sub(a, b));
  v128.store(at + 3 * step, f32x4.neg(b));
}

/** Transforms tiles [t0, t1) of the chunk starting at tile0: V [16, CH, C] from x, Z [16, CH, K] from dy. */
export function winogradGradTransform(x: usize, dy: usize, V: usize, Z: usize, H: i32, W: i32, C: i32, OH: i32,
  OW: i32, K: i32, padTop: i32, padLeft: i32, tile0: i32, CH: i32, t0: i32, t1: i32, tmp: usize): void {
  const TH = (OH + 1) >> 1;
  const TW = (OW + 1) >> 1;
  transformTiles(x, V, tile0, t0, t1, CH, H, W, C, TH, TW, padTop, padLeft, tmp);
  transformGradients(dy, Z, tile0, t0, t1, CH, OH, OW, K, TH, TW);
}

/** Tiles a pass of the products: their V and Z rows (4 of C and 8 of K floats each) stay in L1 across K. */
const SUB: i32 = 64;

/** S[p, c0..c0+4, :] += sum over the chunk's `count` tiles of V[p, t, c] Z[p, t, :], for units [u0, u1),
 *  unit u = (p, c0 / 4) (C a multiple of 4, K of 8); the tiles go SUB at a time, each over all of K. */
export function winogradGradProducts(V: usize, Z: usize, S: usize, CH: i32, count: i32, C: i32, K: i32, u0: i32,
  u1: i32): void {
  const cBlocks = C >> 2;
  const vRow = <usize>C << 2;
  const zRow = <usize>K << 2;
  for (let u = u0; u < u1; u++) {
    const p = u / cBlocks;
    const c0 = (u - p * cBlocks) << 2;
    const s0 = S + ((<usize>p * C + c0) * zRow);
    for (let t0 = 0; t0 < count; t0 += SUB) {
      const t1 = min(count, t0 + SUB);
      const v0 = V + (<usize>p * CH + t0) * vRow + (<usize>c0 << 2);
      const z0 = Z + (<usize>p * CH + t0) * zRow;
      for (let k: usize = 0; k < zRow; k += 32) tile(v0, z0 + k, s0 + k, t1 - t0, vRow, zRow);
    }
  }
}

/** S rows c0..c0+4 at this tile's 8 columns (w) += the sum over `n` tiles of V[t, c0..c0+4] Z[t, 8 columns]. */
// @ts-ignore: decorator
@inline function tile(v: usize, z: usize, w0: usize, n: i32, vRow: usize, zRow: usize): void {
  const w1 = w0 + zRow, w2 = w1 + zRow, w3 = w2 + zRow;
  let a0 = v128.load(w0), a1 = v128.load(w0, 16);
  let b0 = v128.load(w1), b1 = v128.load(w1, 16);
  let c0 = v128.load(w2), c1 = v128.load(w2, 16);
  let d0 = v128.load(w3), d1 = v128.load(w3, 16);
  let vp = v;
  let zp = z;
  for (let t = 0; t < n; t++) {
    const z0 = v128.load(zp), z1 = v128.load(zp, 16);
    let s = v128.load32_splat(vp);
    a0 = f32x4.add(a0, f32x4.mul(s, z0)); a1 = f32x4.add(a1, f32x4.mul(s, z1));
    s = v128.load32_splat(vp, 4);
    b0 = f32x4.add(b0, f32x4.mul(s, z0)); b1 = f32x4.add(b1, f32x4.mul(s, z1));
    s = v128.load32_splat(vp, 8);
    c0 = f32x4.add(c0, f32x4.mul(s, z0)); c1 = f32x4.add(c1, f32x4.mul(s, z1));
    s = v128.load32_splat(vp, 12);
    d0 = f32x4.add(d0, f32x4.mul(s, z0)); d1 = f32x4.add(d1, f32x4.mul(s, z1));
    vp += vRow;
    zp += zRow;
  }
  v128.store(w0, a0); v128.store(w0, a1, 16);
  v128.store(w1, b0); v128.store(w1, b1, 16);
  v128.store(w2, c0); v128.store(w2, c1, 16);
  v128.store(w3, d0); v128.store(w3, d1, 16);
}
