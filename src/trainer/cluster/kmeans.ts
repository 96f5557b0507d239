// k-means as DeepCluster runs it through faiss (deepcluster.md 1.4), with the distances on the TF.js backend:
// init = the first k points of faiss's seeded permutation (seed + 1), then `iterations` rounds of
// assign (squared L2 by matMul: ||c||^2 - 2 x.c, argmin) -> means -> empty-cluster splitting,
// then a final assignment against the final centroids (faiss index.search).
import * as tf from '@tensorflow/tfjs-core';
import { faissRandPerm } from './faissRandom';
import { chunkRows, type FeatureMatrix, type HostMatrix, rowsTensor, shapeOf, toHost } from './features';
import { splitEmptyClusters } from './splitClusters';

export interface KmeansOptions {
  /** faiss niter; DeepCluster uses 20. */
  iterations?: number;
  /** faiss Clustering seed (DeepCluster redraws it every epoch). */
  seed?: number;
  /** Largest distance block, in floats (default 16 M = 64 MiB). */
  chunkFloats?: number;
  /** Start from these centroids (k x d) instead of the seeded permutation (for tests against other solvers). */
  initialCentroids?: Float32Array;
}

export interface KmeansResult {
  /** Nearest final centroid of each point. */
  assignments: Int32Array;
  /** k x d, row-major. */
  centroids: Float32Array;
  /** Sum of squared distances at the last iteration's assignment step (faiss obj[-1], what DeepCluster logs). */
  objective: number;
  /** The same at every iteration's assignment step. */
  objectivePerIter: number[];
  /** Sum of squared distances to the final centroids (the returned assignments). */
  finalObjective: number;
  /** Empty clusters re-seeded by splitting, over all iterations. */
  splits: number;
}

export async function kmeans(x: FeatureMatrix, k: number, opts: KmeansOptions = {}): Promise<KmeansResult> {
  const { n, d } = shapeOf(x);
  const iterations = opts.iterations ?? 20;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k-means: k must be a positive integer (got ${k})`);
  if (k > n) throw new Error(`--k ${k} is larger than the number of images ${n}`);
  const host = await toHost(x);
  const centroids = opts.initialCentroids
    ? Float32Array.from(opts.initialCentroids)
    : initialCentroids(host, k, opts.seed ?? 1234);
  if (centroids.length !== k * d) throw new Error(`k-means: initial centroids must be ${k} x ${d}`);

  const step = chunkRows(k, opts.chunkFloats);
  const chunks: Chunk[] = [];
  for (let s = 0; s < n; s += step) chunks.push({ x: rowsTensor(x, s, Math.min(n, s + step)), start: s });
  try {
    const assignments = new Int32Array(n);
    const objectivePerIter: number[] = [];
    let splits = 0;
    for (let it = 0; it < iterations; it++) {
      await assign(chunks, centroids, k, d, assignments);
      const { objective, counts } = updateCentroids(host, assignments, k, centroids);
      objectivePerIter.push(objective);
      splits += splitEmptyClusters(centroids, counts, d, n);
    }
    await assign(chunks, centroids, k, d, assignments);
    const finalObjective = squaredDistances(host, assignments, centroids);
    return {
      assignments,
      centroids,
      objective: objectivePerIter.length ? objectivePerIter[objectivePerIter.length - 1] : finalObjective,
      objectivePerIter,
      finalObjective,
      splits,
    };
  } finally {
    for (const c of chunks) c.x.dispose();
  }
}

interface Chunk {
  x: tf.Tensor2D;
  start: number;
}

/** faiss: a random permutation seeded with (seed + 1); its first k points become the centroids. */
export function initialCentroids(x: HostMatrix, k: number, seed: number): Float32Array {
  const perm = faissRandPerm(x.n, seed + 1);
  const c = new Float32Array(k * x.d);
  for (let j = 0; j < k; j++) c.set(x.data.subarray(perm[j] * x.d, (perm[j] + 1) * x.d), j * x.d);
  return c;
}

/**
 * Nearest centroid of every point, written into `out`. argmin_j ||x - c_j||^2 = argmin_j (||c_j||^2 - 2 x.c_j):
 * one fused matMul with bias (x . (-2 C^T) + ||c||^2) and an argMin per chunk. The centroids are passed already
 * transposed: on wasm, matMul with transposeB is ~4x slower than with a pre-transposed operand.
 */
async function assign(chunks: Chunk[], centroids: Float32Array, k: number, d: number, out: Int32Array): Promise<void> {
  const ct = new Float32Array(d * k);
  const norms = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      const v = centroids[c * d + j];
      ct[j * k + c] = -2 * v;
      norms[c] += v * v;
    }
  }
  const b = tf.tensor2d(ct, [d, k]);
  const bias = tf.tensor1d(norms);
  try {
    for (const chunk of chunks) {
      const idx = tf.tidy(() => tf.argMin(tf.fused.matMul({ a: chunk.x, b, bias }), 1));
      out.set(await idx.data(), chunk.start);
      idx.dispose();
    }
  } finally {
    b.dispose();
    bias.dispose();
  }
}

/**
 * One host pass: the objective at this assignment step (sum of squared distances to the current centroids,
 * float64) and the new centroids = means of their points (empty clusters get 0, as in faiss). Returns the
 * counts as floats, like faiss's hassign. Summing on the host: the wasm backend has no UnsortedSegmentSum,
 * the assignments are on the host anyway for the split step, and O(N d) is small next to the O(N k d) matMul.
 */
function updateCentroids(
  x: HostMatrix,
  assignments: Int32Array,
  k: number,
  centroids: Float32Array,
): { objective: number; counts: Float32Array } {
  const { n, d, data } = x;
  const sums = new Float64Array(k * d);
  const counts = new Float32Array(k);
  let objective = 0;
  for (let i = 0; i < n; i++) {
    const c = assignments[i];
    counts[c]++;
    const o = i * d;
    const oc = c * d;
    for (let j = 0; j < d; j++) {
      const v = data[o + j];
      const diff = v - centroids[oc + j];
      objective += diff * diff;
      sums[oc + j] += v;
    }
  }
  for (let c = 0; c < k; c++) {
    const inv = counts[c] > 0 ? 1 / counts[c] : 0;
    for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] * inv;
  }
  return { objective, counts };
}

function squaredDistances(x: HostMatrix, assignments: Int32Array, centroids: Float32Array): number {
  const { n, d, data } = x;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const oc = assignments[i] * d;
    for (let j = 0; j < d; j++) total += (data[o + j] - centroids[oc + j]) ** 2;
  }
  return total;
}
