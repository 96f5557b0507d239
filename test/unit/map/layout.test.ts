// The embedding map's parts: the approximate kNN against an exact search, the fuzzy graph's symmetry, and a
// layout that keeps separated groups apart (a point's map neighbours are mostly from its own group).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approximateKnn } from '../../../src/trainer/map/approxKnn';
import { fuzzyGraph } from '../../../src/trainer/map/fuzzyGraph';
import { computeLayout, fitSquare, LayoutError } from '../../../src/trainer/map/layout';
import { Rng } from '../../../src/trainer/cluster/rng';
import '@tensorflow/tfjs-backend-cpu';

/** n points in d dims around `groups` random centres (spread 0.3 around centres ~N(0, 3)). */
function blobs(n: number, d: number, groups: number, seed = 1): { data: Float32Array; group: Int32Array } {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  const centres = Array.from({ length: groups }, () => Array.from({ length: d }, () => gauss() * 3));
  const data = new Float32Array(n * d);
  const group = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    group[i] = i % groups;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[i % groups]![j]! + gauss() * 0.3;
  }
  return { data, group };
}

function exactKnn(x: Float32Array, n: number, d: number, q: number, k: number): number[] {
  const dist = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[q * d + j]! - x[i * d + j]!) ** 2;
    return i === q ? Infinity : s;
  });
  return dist
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0])
    .slice(0, k)
    .map((p) => p[1]);
}

test('approximate kNN: recall >= 0.9 against an exact search, nearest first, never the point itself', () => {
  const n = 6000,
    d = 16,
    k = 10;
  const { data } = blobs(n, d, 30);
  const knn = approximateKnn(data, n, d, k, { random: new Rng(0).random, exactBelow: 0 });
  let hit = 0;
  for (let q = 0; q < n; q += 60) {
    const truth = new Set(exactKnn(data, n, d, q, k));
    const got = Array.from(knn.indices.subarray(q * k, q * k + k));
    assert.ok(!got.includes(q));
    const ds = Array.from(knn.distances.subarray(q * k, q * k + k));
    assert.deepEqual(
      ds,
      [...ds].sort((a, b) => a - b),
    );
    hit += got.filter((i) => truth.has(i)).length;
  }
  const recall = hit / ((n / 60) * k);
  assert.ok(recall >= 0.9, `recall ${recall}`);
});

test('approximate kNN: small inputs are exact', () => {
  const n = 300,
    d = 5,
    k = 7;
  const { data } = blobs(n, d, 4);
  const knn = approximateKnn(data, n, d, k, { random: new Rng(0).random });
  for (let q = 0; q < n; q += 17)
    assert.deepEqual(Array.from(knn.indices.subarray(q * k, q * k + k)), exactKnn(data, n, d, q, k));
});

test('fuzzy graph: symmetric, weights in (0, 1]', () => {
  const n = 500,
    d = 8;
  const { data } = blobs(n, d, 5);
  const g = fuzzyGraph(approximateKnn(data, n, d, 10, { random: new Rng(0).random }), n);
  const w = new Map<string, number>();
  for (let e = 0; e < g.head.length; e++) {
    assert.ok(g.weight[e]! > 0 && g.weight[e]! <= 1);
    w.set(`${g.head[e]},${g.tail[e]}`, g.weight[e]!);
  }
  for (const [key, v] of w) {
    const [a, b] = key.split(',');
    assert.equal(w.get(`${b},${a}`), v, `edge ${key} has no mirror`);
  }
});

test('UMAP layout: groups stay apart, coordinates in [-1, 1], deterministic for a seed', async () => {
  const n = 3000,
    d = 64,
    groups = 6;
  const { data, group } = blobs(n, d, groups, 3);
  const a = await computeLayout({ data, n, d }, { method: 'umap', seed: 5, epochs: 100 });
  assert.equal(a.xy.length, 2 * n);
  for (const v of a.xy) assert.ok(v >= -1 - 1e-6 && v <= 1 + 1e-6);
  // 2-D kNN purity: the 10 nearest map neighbours of a point belong to its own group.
  const knn = approximateKnn(a.xy, n, 2, 10, { random: new Rng(0).random, exactBelow: n });
  let same = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < 10; j++) same += group[knn.indices[i * 10 + j]!] === group[i] ? 1 : 0;
  assert.ok(same / (n * 10) > 0.95, `map neighbour purity ${same / (n * 10)}`);
  const b = await computeLayout({ data, n, d }, { method: 'umap', seed: 5, epochs: 100 });
  assert.deepEqual(b.xy, a.xy);
});

test('PCA layout: two coordinates per point, and cancel stops a UMAP layout', async () => {
  const n = 400,
    d = 10;
  const { data } = blobs(n, d, 3);
  const p = await computeLayout({ data, n, d }, { method: 'pca' });
  assert.equal(p.xy.length, 2 * n);
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(computeLayout({ data, n, d }, { method: 'umap', signal: ctl.signal }), /cancelled/);
  await assert.rejects(
    computeLayout({ data: data.subarray(0, 2 * d), n: 2, d }, { method: 'umap' }),
    (e: Error) => e instanceof LayoutError && /at least 3 images, got 2/.test(e.message),
  );
});

test('fitSquare keeps the aspect ratio and fills [-1, 1] on the longer side', () => {
  const out = fitSquare(Float32Array.from([0, 0, 4, 1, 2, 0.5]));
  assert.deepEqual(Array.from(out), [-1, -0.25, 1, 0.25, 0, 0]);
});
