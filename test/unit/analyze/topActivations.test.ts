import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { RunningTopK, topActivatingImages } from '../../../src/trainer/analyze';
import { fakeImages, fixedNet, useWasm } from './helpers';

before(useWasm);

/** Brute force: every image's score for every filter at once, sorted (ties: lower index first). */
function bruteForceTop(scores: Float32Array, n: number, units: number, k: number): number[][] {
  return Array.from({ length: units }, (_, u) =>
    Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => scores[b * units + u]! - scores[a * units + u]! || a - b)
      .slice(0, k),
  );
}

test('top-9 per filter over batches equals a brute-force ranking of the whole dataset', async () => {
  const net = fixedNet();
  const data = fakeImages(70);
  const progress: number[] = [];
  const top = await topActivatingImages(net, data, 'conv3', 9, { batchSize: 16, onProgress: (d) => progress.push(d) });
  assert.deepEqual(progress, [16, 32, 48, 64, 70]);
  const scores = tf.tidy(() => tf.mean(net.convActivations(data.all, 'conv3'), [1, 2])).dataSync() as Float32Array;
  const expected = bruteForceTop(scores, 70, 128, 9);
  assert.equal(top.length, 128);
  let compared = 0;
  for (let f = 0; f < 128; f++) {
    // A dead filter scores 0 everywhere; its order is all ties.
    if (scores[expected[f]![0]! * 128 + f] === 0) continue;
    assert.deepEqual(top[f]!.indices, expected[f], `filter ${f}`);
    assert.ok(Math.abs(top[f]!.scores[0]! - scores[expected[f]![0]! * 128 + f]!) < 1e-5);
    compared++;
  }
  assert.ok(compared > 100, `${compared} live filters compared`);
  net.dispose();
  data.all.dispose();
});

test('RunningTopK: keeps the k best per unit, ties keep the earlier image, fewer images than k', () => {
  const t = new RunningTopK(2, 3);
  // unit 0 scores 5,1,5,7,5 ; unit 1 scores 0,0,0,0,9
  t.push([5, 0, 1, 0, 5, 0], [10, 11, 12]);
  t.push([7, 0, 5, 9], [13, 14]);
  assert.deepEqual(t.top(0), { indices: [13, 10, 12], scores: [7, 5, 5] });
  assert.deepEqual(t.top(1), { indices: [14, 10, 11], scores: [9, 0, 0] });
  const small = new RunningTopK(1, 9);
  small.push([3, 4], [0, 1]);
  assert.deepEqual(small.top(0).indices, [1, 0]);
});
