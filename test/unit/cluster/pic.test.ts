import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pic } from '../../../src/trainer/cluster/pic';
import { knnGraph } from '../../../src/trainer/cluster/knnGraph';
import { nmi } from '../../../src/trainer/metrics';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/cluster/pic-official.json', import.meta.url), 'utf8'));

test('PIC reproduces the official algorithm (faiss kNN graph + scipy power iterations)', async () => {
  await tf.setBackend('cpu');
  const x = { data: Float32Array.from(fixture.x), n: fixture.n, d: fixture.d };
  const r = await pic(x);
  const k = new Set<number>(fixture.assignments).size;
  assert.ok(k > 5, 'fixture should have several clusters');
  assert.equal(r.k, k);
  assert.equal(nmi(r.assignments, fixture.assignments), 1);
  assert.deepEqual(Array.from(r.assignments), fixture.assignments); // same numbering too
});

test('kNN graph: exact neighbours, self first, chunked', async () => {
  await tf.setBackend('cpu');
  const x = { data: Float32Array.from([0, 0, 1, 0, 3, 0, 3.5, 0, 10, 0]), n: 5, d: 2 };
  const g = await knnGraph(x, 3, 5);
  assert.deepEqual(Array.from(g.indices.subarray(0, 3)), [0, 1, 2]);
  assert.deepEqual(Array.from(g.indices.subarray(9, 12)), [3, 2, 1]);
  assert.ok(Math.abs(g.distances[10] - 0.25) < 1e-5);
});
