// k-means as DeepCluster runs it through faiss (deepcluster.md 1.4), with the distances on the TF.js backend:
// init = the first k points of faiss's seeded permutation (seed + 1), then `iterations` rounds of
// assign (squared L2 by matMul: ||c||^2 - 2 x.c, argmin) -> means -> empty-cluster splitting,
// then a final assignment against the final centroids (faiss index.search).
import * as tf from '@tensorflow/tfjs-core';
import { faissRandPerm } from './faiss-random';
import { chunkRows, type FeatureMatrix, type HostMatrix, rowsTensor, shapeOf, toHost } from './features';
import { splitEmptyClusters } from './split-clusters';

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
  // The means are summed on the host: the wasm backend has no UnsortedSegmentSum kernel, the assignments come
  // back to the host anyway for the split step, and O(N d) adds are cheap next to the O(N k d) distances.
  const host = await toHost(x);
  const centroids = opts.initialCentroids ? Float32Array.from(opts.initialCentroids) : initialCentroids(host, k, opts.seed ?? 1234);
  if (centroids.length !== k * d) throw new Error(`k-means: initial centroids must be ${k} x ${d}`);

  const step = chunkRows(k, opts.chunkFloats);
  const chunks: { x: tf.Tensor2D; start: number; norms: number }[] = [];
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    const xc = rowsTensor(x, s, e);
    const norms = tf.tidy(() => tf.sum(tf.square(xc)));
    chunks.push({ x: xc, start: s, norms: (await norms.data())[0] });
    norms.dispose();
  }
  try {
    const assignments = new Int32Array(n);
    const objectivePerIter: number[] = [];
    let splits = 0;
    for (let it = 0; it < iterations; it++) {
      objectivePerIter.push(await assign(chunks, centroids, k, d, assignments));
      const counts = computeCentroids(host, assignments, k, centroids);
      splits += splitEmptyClusters(centroids, counts, d, n);
    }
    const finalObjective = await assign(chunks, centroids, k, d, assignments);
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

/** faiss: a random permutation seeded with (seed + 1); its first k points become the centroids. */
export function initialCentroids(x: HostMatrix, k: number, seed: number): Float32Array {
  const perm = faissRandPerm(x.n, seed + 1);
  const c = new Float32Array(k * x.d);
  for (let j = 0; j < k; j++) c.set(x.data.subarray(perm[j] * x.d, (perm[j] + 1) * x.d), j * x.d);
  return c;
}

/** Nearest centroid of every point (writes `out`); returns the sum of squared distances. */
async function assign(chunks: { x: tf.Tensor2D; start: number; norms: number }[], centroids: Float32Array, k: number, d: number, out: Int32Array): Promise<number> {
  const c = tf.tensor2d(centroids, [k, d]);
  const cNorm = tf.tidy(() => tf.sum(tf.square(c), 1));
  let objective = 0;
  try {
    for (const chunk of chunks) {
      const [idx, best] = tf.tidy(() => {
        // ||x||^2 is constant per row, so argmin over ||c||^2 - 2 x.c is the nearest centroid.
        const dist = tf.sub(cNorm, tf.mul(tf.matMul(chunk.x, c, false, true), 2));
        return [tf.argMin(dist, 1), tf.sum(tf.min(dist, 1))];
      });
      out.set(await idx.data(), chunk.start);
      objective += chunk.norms + (await best.data())[0];
      idx.dispose();
      best.dispose();
    }
  } finally {
    c.dispose();
    cNorm.dispose();
  }
  return Math.max(0, objective);
}

/** Means of the assigned points (empty clusters get 0, as in faiss); returns the counts (float, faiss hassign). */
function computeCentroids(x: HostMatrix, assignments: Int32Array, k: number, centroids: Float32Array): Float32Array {
  const { n, d, data } = x;
  const sums = new Float64Array(k * d);
  const counts = new Float32Array(k);
  for (let i = 0; i < n; i++) {
    const c = assignments[i];
    counts[c]++;
    const o = i * d;
    const oc = c * d;
    for (let j = 0; j < d; j++) sums[oc + j] += data[o + j];
  }
  for (let c = 0; c < k; c++) {
    const inv = counts[c] > 0 ? 1 / counts[c] : 0;
    for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] * inv;
  }
  return counts;
}
