// Approximate k nearest neighbours for the embedding map: an inverted file (coarse k-means cells, each cell's
// points searched in the few cells whose centroids are nearest its own). umap-js's own NN-descent takes ~60 s
// on 60 000 points here; this takes a few seconds with a recall of ~0.9+ on PCA-reduced features (tested), which
// is what a 2-D layout needs. Small inputs are searched exactly. Euclidean distances, the point itself excluded.
import type { Random } from '../cluster/rng';

export interface Knn {
  /** n x k neighbour indices, nearest first. */
  indices: Int32Array;
  /** n x k Euclidean distances, same order. */
  distances: Float32Array;
  k: number;
}

export interface KnnOptions {
  random: Random;
  /** Cells searched per cell (default 8). */
  probes?: number;
  /** At or below this many points the search is exact (default 4000). */
  exactBelow?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Squared distance between row a of x and row b of y (both width d). */
function dist2(x: Float32Array, a: number, y: Float32Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0, oa = a * d, ob = b * d; j < d; j++) {
    const t = x[oa + j]! - y[ob + j]!;
    s += t * t;
  }
  return s;
}

/** Index of the nearest of the c centroids to row i. */
function nearestCentroid(x: Float32Array, i: number, cent: Float32Array, c: number, d: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < c; j++) {
    const v = dist2(x, i, cent, j, d);
    if (v < bestD) {
      bestD = v;
      best = j;
    }
  }
  return best;
}

/** Lloyd's k-means on a sample, for the coarse cells only (a few iterations are plenty). */
function coarseCentroids(x: Float32Array, n: number, d: number, cells: number, random: Random): Float32Array {
  const sample = Math.min(n, cells * 64);
  const rows = new Int32Array(sample);
  for (let i = 0; i < sample; i++) rows[i] = Math.floor(random() * n);
  const cent = new Float32Array(cells * d);
  for (let c = 0; c < cells; c++) cent.set(x.subarray(rows[c]! * d, rows[c]! * d + d), c * d);
  const sums = new Float64Array(cells * d);
  const counts = new Int32Array(cells);
  for (let it = 0; it < 6; it++) {
    sums.fill(0);
    counts.fill(0);
    for (const r of rows) {
      const c = nearestCentroid(x, r, cent, cells, d);
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += x[r * d + j]!;
    }
    // An empty cell keeps its centroid.
    for (let c = 0; c < cells; c++)
      if (counts[c]) for (let j = 0; j < d; j++) cent[c * d + j] = sums[c * d + j]! / counts[c]!;
  }
  return cent;
}

/** Insert (idx, dv) into the sorted top list of row q if it is nearer than the current k-th. */
function offer(topI: Int32Array, topD: Float32Array, q: number, k: number, idx: number, dv: number): void {
  const o = q * k;
  if (dv >= topD[o + k - 1]!) return;
  let p = k - 1;
  while (p > 0 && topD[o + p - 1]! > dv) {
    topD[o + p] = topD[o + p - 1]!;
    topI[o + p] = topI[o + p - 1]!;
    p--;
  }
  topD[o + p] = dv;
  topI[o + p] = idx;
}

export function approximateKnn(x: Float32Array, n: number, d: number, k: number, o: KnnOptions): Knn {
  if (k >= n) throw new Error(`kNN: ${k} neighbours need more than ${n} points`);
  const indices = new Int32Array(n * k).fill(-1);
  const distances = new Float32Array(n * k).fill(Infinity);
  const exact = n <= (o.exactBelow ?? 4000);
  const cells = exact ? 1 : Math.min(2048, Math.max(2, Math.round(Math.sqrt(n))));
  const cent = exact ? new Float32Array(d) : coarseCentroids(x, n, d, cells, o.random);
  const cellOf = new Int32Array(n);
  if (!exact) for (let i = 0; i < n; i++) cellOf[i] = nearestCentroid(x, i, cent, cells, d);
  const members: number[][] = Array.from({ length: cells }, () => []);
  for (let i = 0; i < n; i++) members[cellOf[i]!]!.push(i);
  const probes = Math.min(cells, o.probes ?? 8);
  for (let c = 0; c < cells; c++) {
    const own = members[c]!;
    if (own.length === 0) continue;
    // The cells nearest this one (itself first): every point of this cell is compared with all their points.
    const near = Array.from({ length: cells }, (_, j) => j)
      .map((j) => [j, dist2(cent, c, cent, j, d)] as const)
      .sort((a, b) => a[1] - b[1])
      .slice(0, probes);
    const candidates = Int32Array.from(near.flatMap(([cell]) => members[cell]!));
    for (const q of own) {
      const oq = q * d;
      const last = q * k + k - 1;
      for (const p of candidates) {
        if (p === q) continue;
        // Partial distances: stop once past the current k-th nearest (most candidates are far).
        const bound = distances[last]!;
        let s = 0;
        const op = p * d;
        let j = 0;
        while (j < d) {
          const end = Math.min(d, j + 8);
          for (; j < end; j++) {
            const t = x[oq + j]! - x[op + j]!;
            s += t * t;
          }
          if (s >= bound) break;
        }
        if (s < bound) offer(indices, distances, q, k, p, s);
      }
    }
    o.onProgress?.(c + 1, cells);
  }
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]!);
  return { indices, distances, k };
}
