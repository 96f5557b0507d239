import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagesLists, assignmentsFromLists } from '../../../src/trainer/cluster/pseudoLabels';
import { officialSampler, uniformSampler } from '../../../src/trainer/cluster/sampler';
import { Rng, shuffle } from '../../../src/trainer/cluster/rng';

/** 20 000 points in 100 clusters of very different sizes (1 .. ~800), in random dataset order. */
function skewedAssignments(): { assignments: Int32Array; k: number } {
  const k = 100;
  const n = 20000;
  const weights = Array.from({ length: k }, (_, c) => (c + 1) ** 1.5);
  const total = weights.reduce((a, b) => a + b, 0);
  const a: number[] = [];
  weights.forEach((w, c) => {
    const size = c === k - 1 ? n - a.length : Math.max(1, Math.round((w / total) * n));
    for (let i = 0; i < size; i++) a.push(c);
  });
  return { assignments: shuffle(Int32Array.from(a), new Rng(3).random), k };
}

function pearson(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  x.forEach((v, i) => ((sxy += (v - mx) * (y[i] - my)), (sxx += (v - mx) ** 2), (syy += (y[i] - my) ** 2)));
  return sxy / Math.sqrt(sxx * syy);
}

test('images_lists: sorted members per cluster, empty clusters kept, inverse round-trips', () => {
  const lists = imagesLists([2, 0, 2, 2, 0], 4);
  assert.deepEqual(
    lists.map((l) => Array.from(l)),
    [[1, 4], [], [0, 2, 3], []],
  );
  assert.deepEqual(Array.from(assignmentsFromLists(lists, 5)), [2, 0, 2, 2, 0]);
});

test('uniform sampler: N draws, near-equal counts per cluster, labels are the clusters of the drawn images', () => {
  const { assignments, k } = skewedAssignments();
  const lists = imagesLists(assignments, k);
  const s = uniformSampler(lists, assignments.length, new Rng(31).random);
  assert.equal(s.indices.length, 20000);
  const perCluster = new Array<number>(k).fill(0);
  s.indices.forEach((img, i) => {
    assert.equal(s.labels[i], assignments[img]);
    perCluster[s.labels[i]]++;
  });
  // spp = floor(20000/100) + 1 = 201; truncation to N removes 100 at random: counts within a few of 200.
  assert.ok(
    Math.min(...perCluster) >= 190 && Math.max(...perCluster) <= 201,
    `${Math.min(...perCluster)}..${Math.max(...perCluster)}`,
  );
  const sizes = lists.map((l) => l.length);
  assert.ok(Math.abs(pearson(sizes, perCluster)) < 0.3);
});

test('official sampler reproduces the index-space bug: draws per cluster follow cluster size', () => {
  const { assignments, k } = skewedAssignments();
  const lists = imagesLists(assignments, k);
  const s = officialSampler(lists, assignments.length, new Rng(31).random);
  assert.equal(s.indices.length, 20000);
  const perCluster = new Array<number>(k).fill(0);
  s.indices.forEach((img, i) => {
    assert.equal(s.labels[i], assignments[img]); // image and label stay consistent (no empty clusters here)
    perCluster[s.labels[i]]++;
  });
  const sizes = lists.map((l) => l.length);
  const r = pearson(sizes, perCluster);
  assert.ok(r > 0.9, `r = ${r}`);
  // The largest cluster (~490 images) gets far more than the intended spp = 201 draws.
  assert.ok(perCluster[k - 1] > 300, `largest cluster drawn ${perCluster[k - 1]} times`);
});

test('official sampler compacts labels over non-empty clusters', () => {
  const lists = imagesLists([0, 0, 3, 3, 3, 1], 5); // cluster 2 and 4 empty
  const s = officialSampler(lists, 6, new Rng(1).random);
  assert.ok(Math.max(...s.labels) <= 2);
});

test('Rng: seeded, and its saved state resumes the same stream', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.float();
  const saved = a.state();
  const next = [a.float(), a.float(), a.uint32()];
  const b = Rng.fromState(saved);
  assert.deepEqual([b.float(), b.float(), b.uint32()], next);
  assert.notEqual(new Rng(1).float(), new Rng(2).float());
  const u = Array.from({ length: 20000 }, () => a.float());
  const mean = u.reduce((s, v) => s + v, 0) / u.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.min(...u) >= 0 && Math.max(...u) < 1);
});
