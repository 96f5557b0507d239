// Spherical k-means as DeepCluster-v2 runs it on its memory bank (swav main_deepclusterv2.py, cluster_memory):
// K distinct random rows as the initial centroids, then `iterations` rounds of
//   E: each point to the centroid of largest dot product;  M: centroid = mean of its points, re-normalised,
// where an empty cluster keeps its previous centroid (no splitting, no size constraint), and a final E step.
// The dot products run on the TF.js backend in row chunks, with the centroids pre-transposed ([d, k]).
import * as tf from '@tensorflow/tfjs-core';
import { chunkRows, type HostMatrix } from './features';
import { Rng } from './rng';

export interface SphericalKmeansResult {
  assignments: Int32Array;
  /** k x d, unit rows (row-major). */
  centroids: Float32Array;
  /** Mean dot product of each point with its centroid at the final assignment (1 = every point on its centroid). */
  meanSimilarity: number;
  /** Clusters with no point at the final assignment. */
  empty: number;
}

export interface SphericalKmeansOptions {
  iterations?: number;
  seed: number;
  chunkFloats?: number;
}

export async function sphericalKmeans(
  x: HostMatrix,
  k: number,
  opts: SphericalKmeansOptions,
): Promise<SphericalKmeansResult> {
  const { n, d, data } = x;
  if (!Number.isInteger(k) || k < 1) throw new Error(`spherical k-means: k must be a positive integer (got ${k})`);
  if (k > n) throw new Error(`spherical k-means: ${k} clusters for ${n} points; use fewer prototypes`);
  const iterations = opts.iterations ?? 10;
  const centroids = new Float32Array(k * d);
  const random = new Rng(opts.seed).random;
  // The first k of a seeded permutation (torch.randperm(N)[:K]): partial Fisher-Yates.
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(random() * (n - j));
    [perm[j], perm[r]] = [perm[r], perm[j]];
    centroids.set(data.subarray(perm[j] * d, (perm[j] + 1) * d), j * d);
  }
  const step = chunkRows(k, opts.chunkFloats);
  const chunks: { x: tf.Tensor2D; start: number }[] = [];
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    chunks.push({ x: tf.tensor2d(data.subarray(s * d, e * d), [e - s, d]), start: s });
  }
  const assignments = new Int32Array(n);
  try {
    for (let it = 0; ; it++) {
      const best = await assignByDotProduct(chunks, centroids, k, d, assignments);
      if (it === iterations)
        return { assignments, centroids, meanSimilarity: best / n, empty: countEmpty(assignments, k) };
      updateCentroids(x, assignments, k, centroids);
    }
  } finally {
    for (const c of chunks) c.x.dispose();
  }
}

/** argmax_j x.c_j for every point (into `out`); returns the sum of the winning dot products. */
async function assignByDotProduct(
  chunks: { x: tf.Tensor2D; start: number }[],
  centroids: Float32Array,
  k: number,
  d: number,
  out: Int32Array,
): Promise<number> {
  const ct = new Float32Array(d * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) ct[j * k + c] = centroids[c * d + j];
  const b = tf.tensor2d(ct, [d, k]);
  let total = 0;
  try {
    for (const chunk of chunks) {
      const [idx, best] = tf.tidy(() => {
        const dots = tf.matMul(chunk.x, b);
        return [tf.argMax(dots, 1), tf.sum(tf.max(dots, 1))];
      });
      out.set(await idx.data(), chunk.start);
      total += (await best.data())[0];
      tf.dispose([idx, best]);
    }
  } finally {
    b.dispose();
  }
  return total;
}

/** Means of the assigned points, L2-normalised; clusters without points keep their centroid. Float64 sums. */
function updateCentroids(x: HostMatrix, assignments: Int32Array, k: number, centroids: Float32Array): void {
  const { n, d, data } = x;
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const c = assignments[i];
    counts[c]++;
    for (let j = 0; j < d; j++) sums[c * d + j] += data[i * d + j];
  }
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) continue;
    let norm = 0;
    for (let j = 0; j < d; j++) norm += sums[c * d + j] ** 2;
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] * inv;
  }
}

function countEmpty(assignments: Int32Array, k: number): number {
  const seen = new Uint8Array(k);
  for (const a of assignments) seen[a] = 1;
  return k - seen.reduce((s, v) => s + v, 0);
}
