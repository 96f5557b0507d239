// Exact k nearest neighbours by squared L2 (faiss IndexFlatL2.search), distances by matMul on the backend in
// chunks of query rows: ||x||^2 + ||y||^2 - 2 x.y, then topk.
import * as tf from '@tensorflow/tfjs-core';
import { chunkRows, type FeatureMatrix, rowsTensor, shapeOf } from './features';

export interface KnnGraph {
  /** N x k neighbour indices, nearest first (the point itself is usually first). */
  indices: Int32Array;
  /** N x k squared L2 distances. */
  distances: Float32Array;
  k: number;
}

export async function knnGraph(x: FeatureMatrix, k: number, chunkFloats?: number): Promise<KnnGraph> {
  const { n } = shapeOf(x);
  if (k > n) throw new Error(`kNN graph: ${k} neighbours requested but only ${n} points`);
  const all = rowsTensor(x, 0, n);
  const norms = tf.tidy(() => tf.sum(tf.square(all), 1));
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const step = chunkRows(n, chunkFloats);
  try {
    for (let s = 0; s < n; s += step) {
      const e = Math.min(n, s + step);
      const [idx, val] = tf.tidy(() => {
        const q = tf.slice(all, [s, 0], [e - s, all.shape[1]]);
        const qn = tf.slice(norms, [s], [e - s]);
        // Largest of -(squared distance) = nearest.
        const negDist = tf.sub(tf.mul(tf.matMul(q, all, false, true), 2), tf.add(tf.expandDims(qn, 1), norms));
        const top = tf.topk(negDist, k);
        return [top.indices, tf.relu(tf.neg(top.values))];
      });
      indices.set(await idx.data(), s * k);
      distances.set(await val.data(), s * k);
      idx.dispose();
      val.dispose();
    }
  } finally {
    all.dispose();
    norms.dispose();
  }
  return { indices, distances, k };
}
