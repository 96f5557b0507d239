// Maximum-weight matching of rows to columns (Hungarian algorithm with potentials, O(r^2 c) for r <= c).
// Used to match clusters to classes one-to-one for the clustering accuracy.

/** weights: r x c row-major. Returns, for each row, its matched column (every row matched when r <= c, else -1 for unmatched rows). */
export function maxWeightMatching(weights: ArrayLike<number>, r: number, c: number): Int32Array {
  if (r > c) {
    // Solve the transposed problem so that rows <= columns.
    const t = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = weights[i * c + j];
    const colToRow = maxWeightMatching(t, c, r);
    const out = new Int32Array(r).fill(-1);
    colToRow.forEach((row, col) => (out[row] = col));
    return out;
  }
  let maxW = 0;
  for (let i = 0; i < r * c; i++) maxW = Math.max(maxW, weights[i]);
  const cost = (i: number, j: number) => maxW - weights[i * c + j]; // minimise cost = maximise weight
  // 1-based potentials formulation (rows u, columns v, p[j] = row matched to column j).
  const u = new Float64Array(r + 1);
  const v = new Float64Array(c + 1);
  const p = new Int32Array(c + 1);
  const way = new Int32Array(c + 1);
  for (let i = 1; i <= r; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(c + 1).fill(Infinity);
    const used = new Uint8Array(c + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= c; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= c; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(r).fill(-1);
  for (let j = 1; j <= c; j++) if (p[j] > 0) out[p[j] - 1] = j - 1;
  return out;
}
