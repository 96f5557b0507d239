import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sphericalKmeans } from '../../../src/trainer/cluster/sphericalKmeans';
import { Rng } from '../../../src/trainer/cluster/rng';

/** Unit vectors around `centres` well-separated directions, with noise. */
function sphereData(n: number, d: number, centres: number, seed: number): Float32Array {
  const random = new Rng(seed).random;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const c = Array.from({ length: centres }, () => Array.from({ length: d }, gauss));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = c[i % centres].map((v) => v + 0.6 * gauss());
    const norm = Math.hypot(...row);
    row.forEach((v, j) => (x[i * d + j] = v / norm));
  }
  return x;
}

/** The same algorithm in float64, written from swav's cluster_memory: E = argmax dot, M = normalised mean. */
function oracle(
  x: Float32Array,
  n: number,
  d: number,
  init: Float64Array,
  k: number,
  iterations: number,
): { assignments: Int32Array; centroids: Float64Array } {
  const c = Float64Array.from(init);
  const a = new Int32Array(n);
  for (let it = 0; ; it++) {
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += x[i * d + t] * c[j * d + t];
        if (s > best) [best, a[i]] = [s, j];
      }
    }
    if (it === iterations) return { assignments: a, centroids: c };
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      counts[a[i]]++;
      for (let t = 0; t < d; t++) sums[a[i] * d + t] += x[i * d + t];
    }
    for (let j = 0; j < k; j++) {
      if (!counts[j]) continue;
      const norm = Math.hypot(...sums.subarray(j * d, (j + 1) * d));
      for (let t = 0; t < d; t++) c[j * d + t] = sums[j * d + t] / norm;
    }
  }
}

test('spherical k-means matches a float64 oracle from the same initial centroids', async () => {
  await tf.setBackend('cpu');
  const n = 600,
    d = 16,
    k = 12;
  const data = sphereData(n, d, 8, 5);
  const r = await sphericalKmeans({ data, n, d }, k, { iterations: 10, seed: 3 });
  // Recover the initial centroids the same seeded draw picks, and run the oracle from them.
  const random = new Rng(3).random;
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const init = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    const s = j + Math.floor(random() * (n - j));
    [perm[j], perm[s]] = [perm[s], perm[j]];
    for (let t = 0; t < d; t++) init[j * d + t] = data[perm[j] * d + t];
  }
  const o = oracle(data, n, d, init, k, 10);
  assert.deepEqual(Array.from(r.assignments), Array.from(o.assignments));
  for (let i = 0; i < k * d; i++)
    assert.ok(
      Math.abs(r.centroids[i] - o.centroids[i]) < 1e-5,
      `centroid value ${i}: ${r.centroids[i]} vs ${o.centroids[i]}`,
    );
  for (let j = 0; j < k; j++)
    assert.ok(
      Math.abs(Math.hypot(...r.centroids.subarray(j * d, (j + 1) * d)) - 1) < 1e-5,
      `centroid ${j} is a unit vector`,
    );
  let sim = 0;
  for (let i = 0; i < n; i++)
    for (let t = 0; t < d; t++) sim += data[i * d + t] * o.centroids[r.assignments[i] * d + t];
  assert.ok(Math.abs(r.meanSimilarity - sim / n) < 1e-4);
});

test("spherical k-means keeps an empty cluster's centroid and refuses more clusters than points", async () => {
  await tf.setBackend('cpu');
  const d = 4;
  // Two identical points: two initial centroids coincide, one of them must end up empty and unchanged.
  const data = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
  const r = await sphericalKmeans({ data, n: 3, d }, 3, { iterations: 5, seed: 1 });
  assert.equal(r.empty, 1);
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(Math.hypot(...r.centroids.subarray(j * d, (j + 1) * d)) - 1) < 1e-6);
  await assert.rejects(sphericalKmeans({ data, n: 3, d }, 4, { seed: 1 }), /4 clusters for 3 points/);
});
