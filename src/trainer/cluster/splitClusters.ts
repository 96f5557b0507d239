// faiss's empty-cluster splitting (Clustering.cpp split_clusters; deepcluster.md 1.4 (c)), reproduced exactly:
// this is how the paper's "reassign an empty cluster to a perturbed copy of a random non-empty one" is done.
import { Mt19937 } from './faissRandom';

const EPS = 1 / 1024;

/**
 * For each empty cluster ci: scan cj = 0, 1, 2, ... cyclically and accept cj with probability
 * (n_j - 1) / (N - k), drawing from an mt19937 re-seeded with 1234 at every call (as faiss does every iteration).
 * Copy centroid cj into ci, perturb symmetrically by eps = 1/1024 (even dims: ci*(1+eps), cj*(1-eps); odd dims
 * the reverse) and pretend the points split evenly. Mutates `centroids` (k x d) and `counts` (float, like faiss's
 * hassign). Returns the number of splits.
 */
export function splitEmptyClusters(centroids: Float32Array, counts: Float32Array, d: number, n: number): number {
  const k = counts.length;
  const rng = new Mt19937(1234);
  let splits = 0;
  for (let ci = 0; ci < k; ci++) {
    if (counts[ci] !== 0) continue;
    let cj = 0;
    for (; ; cj = (cj + 1) % k) {
      const p = (counts[cj] - 1) / (n - k);
      if (rng.randFloat() < p) break;
    }
    const a = ci * d;
    const b = cj * d;
    centroids.copyWithin(a, b, b + d);
    for (let j = 0; j < d; j++) {
      const up = j % 2 === 0;
      centroids[a + j] *= up ? 1 + EPS : 1 - EPS;
      centroids[b + j] *= up ? 1 - EPS : 1 + EPS;
    }
    counts[ci] = counts[cj] / 2;
    counts[cj] -= counts[ci];
    splits++;
  }
  return splits;
}
