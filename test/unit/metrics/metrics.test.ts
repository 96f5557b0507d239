import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  ari,
  clusterSizes,
  hungarianAccuracy,
  knnAccuracy,
  maxWeightMatching,
  nmi,
  purity,
} from '../../../src/trainer/metrics';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/metrics-sklearn.json', import.meta.url), 'utf8'));
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs sklearn ${b}`);

test('NMI (geometric and arithmetic), ARI and Hungarian accuracy match sklearn/scipy', () => {
  for (const [i, c] of fixture.cases.entries()) {
    close(nmi(c.clusters, c.labels, 'geometric'), c.nmiGeometric, `case ${i} NMI geo`);
    close(nmi(c.clusters, c.labels, 'arithmetic'), c.nmiArithmetic, `case ${i} NMI arith`);
    close(nmi(c.labels, c.clusters), c.nmiGeometric, `case ${i} NMI symmetric`);
    close(ari(c.clusters, c.labels), c.ari, `case ${i} ARI`);
    close(hungarianAccuracy(c.clusters, c.labels), c.accuracy, `case ${i} accuracy`);
  }
});

test('metrics edge cases: identical, permuted and single-cluster labelings', () => {
  const a = [0, 0, 1, 1, 2, 2];
  const b = [5, 5, 3, 3, 9, 9];
  assert.equal(nmi(a, b), 1);
  assert.equal(ari(a, b), 1);
  assert.equal(hungarianAccuracy(a, b), 1);
  assert.equal(nmi([1, 1, 1], [2, 2, 2]), 1);
  assert.equal(nmi([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  assert.equal(purity([0, 0, 0, 1], [1, 1, 2, 2]), 0.75);
});

test('Hungarian matching finds the maximum-weight assignment on rectangular matrices', () => {
  // 2 x 3: best is row0->col2 (9) + row1->col0 (8) = 17, not the greedy row0->col0 (10) + row1->col2 (1).
  assert.deepEqual(Array.from(maxWeightMatching([10, 0, 9, 8, 0, 1], 2, 3)), [2, 0]);
  assert.deepEqual(Array.from(maxWeightMatching([10, 8, 0, 0, 9, 1], 3, 2)), [1, -1, 0]);
});

test('cluster sizes count empty, largest and smallest non-empty clusters', () => {
  assert.deepEqual(clusterSizes([0, 0, 0, 2, 2, 4], 5), { k: 5, empty: 2, largest: 3, smallest: 1 });
});

test('kNN-20 cosine majority vote matches sklearn KNeighborsClassifier', async () => {
  await tf.setBackend('cpu');
  const c = fixture.knn;
  const tr = { data: Float32Array.from(c.trainFeatures), n: c.trainLabels.length, d: c.d };
  const te = tf.tensor2d(Float32Array.from(c.testFeatures), [c.testLabels.length, c.d]);
  const acc = await knnAccuracy(tr, c.trainLabels, te, c.testLabels, { k: 20 });
  te.dispose();
  assert.ok(c.accuracy > 0.5 && c.accuracy < 1, 'fixture should be neither trivial nor random');
  close(acc, c.accuracy, 'kNN accuracy');
});
