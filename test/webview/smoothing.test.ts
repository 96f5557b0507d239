import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debiasedEma } from '../../webview/curves/smoothing';
import { aligned, CHARTS, toCsv } from '../../webview/curves/series';
import { visibleClusters, DEFAULT_UI } from '../../webview/clusterGrid/visible';
import { metricsFor } from './fixture';

test('debiased EMA matches TensorBoard: first point unbiased, constant series unchanged, gaps pass through', () => {
  const s = debiasedEma([1, 2, 3], 0.6);
  assert.equal(s[0], 1);
  assert.ok(Math.abs(s[1]! - 1.625) < 1e-12);
  assert.ok(Math.abs(s[2]! - 1.824 / 0.784) < 1e-12);
  assert.deepEqual(debiasedEma([5, 5, 5], 0.9), [5, 5, 5]);
  const g = debiasedEma([1, null, 3], 0.5);
  assert.equal(g[1], null);
  assert.ok(Math.abs(g[2]! - (0.5 * 0.5 + 0.5 * 3) / 0.75) < 1e-12);
  assert.deepEqual(debiasedEma([1, 2, 3], 0), [1, 2, 3]);
});

test('curves: runs aligned on the union of epochs; CSV has one row per run and epoch', () => {
  const a = { runId: 'a', runDir: '/a', live: false, metrics: [0, 1, 2].map((e) => metricsFor(e, 10, 100)) };
  const b = { runId: 'b', runDir: '/b', live: true, metrics: [0, 1].map((e) => metricsFor(e, 10, 100)) };
  const nmiPrev = CHARTS.find((c) => c.id === 'nmiPrev')!.metrics[0]!;
  const r = aligned([a, b], nmiPrev);
  assert.deepEqual(r.xs, [0, 1, 2]);
  assert.equal(r.ys[0]![0], null, 'no NMI(t,t-1) at epoch 0');
  assert.equal(r.ys[1]![2], null, 'run b has no epoch 2');
  const csv = toCsv([a, b]).trim().split('\n');
  assert.equal(csv.length, 1 + 3 + 2);
  assert.match(
    csv[0]!,
    /^run,epoch,loss,nmiPrev,nmiLabels,ari,accuracy,purity,clusteringObjective,largest,smallest,empty,sec_features/,
  );
});

test('grid: filter by label and size, search by id and label, sort by purity ascending', () => {
  const cards = [
    { id: 0, size: 10, purity: 0.5, topLabel: 1, nearest: [] },
    { id: 1, size: 30, purity: 0.9, topLabel: 2, nearest: [] },
    { id: 12, size: 5, purity: 0.7, topLabel: 1, nearest: [] },
  ];
  const names = ['a', 'Trouser', 'Bag'];
  assert.deepEqual(
    visibleClusters(cards, DEFAULT_UI).map((c) => c.id),
    [1, 0, 12],
  );
  assert.deepEqual(
    visibleClusters(cards, { ...DEFAULT_UI, label: 1 }).map((c) => c.id),
    [0, 12],
  );
  assert.deepEqual(
    visibleClusters(cards, { ...DEFAULT_UI, minSize: 8 }).map((c) => c.id),
    [1, 0],
  );
  assert.deepEqual(
    visibleClusters(cards, { ...DEFAULT_UI, search: '#1' }, names).map((c) => c.id),
    [1, 12],
  );
  assert.deepEqual(
    visibleClusters(cards, { ...DEFAULT_UI, search: 'trou' }, names).map((c) => c.id),
    [0, 12],
  );
  assert.deepEqual(
    visibleClusters(cards, { ...DEFAULT_UI, sort: 'purity', descending: false }).map((c) => c.id),
    [0, 12, 1],
  );
});
