import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { kmeans as mlKmeans } from 'ml-kmeans';
import { kmeans, initialCentroids } from '../../../src/trainer/cluster/kmeans';
import { nmi } from '../../../src/trainer/metrics';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/cluster/kmeans-faiss.json', import.meta.url), 'utf8'));

test('k-means reproduces faiss (same init, same empty-cluster splits, same objective per iteration)', async () => {
  await tf.setBackend('cpu');
  const x = { data: Float32Array.from(fixture.x), n: fixture.n, d: fixture.d };
  for (const run of fixture.runs) {
    const r = await kmeans(x, fixture.k, { iterations: 20, seed: run.seed });
    const faissSplits = run.splitsPerIter.reduce((a: number, b: number) => a + b, 0);
    assert.ok(faissSplits > 0, 'fixture must exercise splitting');
    assert.equal(r.splits, faissSplits, `seed ${run.seed}: splits`);
    r.objectivePerIter.forEach((o, i) =>
      assert.ok(
        Math.abs(o - run.objectivePerIter[i]) < 1e-4 * run.objectivePerIter[i],
        `seed ${run.seed} iter ${i}: ${o} vs faiss ${run.objectivePerIter[i]}`,
      ),
    );
    assert.ok(Math.abs(r.finalObjective - run.finalObjective) < 1e-4 * run.finalObjective);
    assert.equal(r.objective, r.objectivePerIter[19]);
    assert.ok(
      nmi(r.assignments, Int32Array.from(run.assignments)) > 0.999,
      `seed ${run.seed}: assignments differ from faiss`,
    );
  }
});

test('k-means agrees with ml-kmeans from the same initial centroids', async () => {
  await tf.setBackend('cpu');
  const x = { data: Float32Array.from(fixture.x), n: fixture.n, d: fixture.d };
  // Without duplicates (ml-kmeans has no empty-cluster splitting), from the same init, both are Lloyd's algorithm.
  const rows: number[][] = [];
  for (let i = 0; i < 300; i++) rows.push(Array.from(x.data.subarray(i * x.d, (i + 1) * x.d)));
  const sub = { data: Float32Array.from(rows.flat()), n: 300, d: x.d };
  const init = initialCentroids(sub, 10, 3);
  const ours = await kmeans(sub, 10, { iterations: 50, initialCentroids: init });
  const oracle = mlKmeans(rows, 10, {
    initialization: Array.from({ length: 10 }, (_, j) => Array.from(init.subarray(j * x.d, (j + 1) * x.d))),
    maxIterations: 50,
    tolerance: 0,
  });
  assert.ok(nmi(ours.assignments, Int32Array.from(oracle.clusters)) > 0.999);
  let obj = 0;
  rows.forEach((p, i) => (obj += p.reduce((s, v, j) => s + (v - oracle.centroids[oracle.clusters[i]][j]) ** 2, 0)));
  assert.ok(Math.abs(ours.finalObjective - obj) < 1e-3 * obj, `${ours.finalObjective} vs ml-kmeans ${obj}`);
});

test('k-means recovers a well-separated mixture from a tensor input, chunked', async () => {
  await tf.setBackend('cpu');
  const n = 400,
    d = 5,
    k = 4;
  const data = new Float32Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    truth[i] = i % k;
    for (let j = 0; j < d; j++) data[i * d + j] = (j === truth[i] ? 50 : 0) + Math.sin(i * 7.3 + j * 1.1);
  }
  const t = tf.tensor2d(data, [n, d]);
  // Several restarts are not needed: with 4 far-apart blobs, faiss-style init + splitting finds them.
  const r = await kmeans(t, k, { seed: 5, chunkFloats: 64 * k });
  t.dispose();
  assert.ok(nmi(r.assignments, truth) > 1 - 1e-12);
  assert.equal(r.assignments.length, n);
  assert.equal(r.centroids.length, k * d);
});

test('k-means: k larger than N is a one-line error', async () => {
  await tf.setBackend('cpu');
  await assert.rejects(
    kmeans({ data: new Float32Array(6), n: 3, d: 2 }, 4),
    /^Error: --k 4 is larger than the number of images 3$/,
  );
});

test('k-means on the wasm backend matches the cpu backend where no distance ties exist', async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  // First 300 rows: no duplicated points, so tie-breaking (which differs between matMul kernels) cannot matter.
  const sub = { data: Float32Array.from(fixture.x.slice(0, 300 * fixture.d)), n: 300, d: fixture.d };
  await tf.setBackend('cpu');
  const onCpu = await kmeans(sub, 12, { seed: 11 });
  await tf.setBackend('wasm');
  const onWasm = await kmeans(sub, 12, { seed: 11 });
  await tf.setBackend('cpu');
  assert.deepEqual(Array.from(onWasm.assignments), Array.from(onCpu.assignments));
  assert.ok(Math.abs(onWasm.objective - onCpu.objective) < 1e-5 * onCpu.objective);
});
