import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainerEvent } from '../../src/protocol/events';
import { seriesFromEvents } from '../../src/extension/panels/curvesModel';
import { minMaxDownsample } from '../../webview/curves/downsample';
import { CHARTS } from '../../webview/curves/series';
import { formatElapsed, joinSeries, points } from '../../webview/curves/xAxis';
import { metricsFor } from './fixture';

/** Per pixel column, the min and max y of the points whose x falls in it (the line's vertical extent there). */
function envelope(
  xs: ArrayLike<number>,
  ys: ArrayLike<number | null>,
  cols: number,
  x0: number,
  x1: number,
): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (xs[i]! < x0 || xs[i]! > x1 || y === null || !Number.isFinite(y)) continue;
    const c = Math.min(cols - 1, Math.floor(((xs[i]! - x0) / (x1 - x0)) * cols));
    const e = out.get(c);
    out.set(c, e ? [Math.min(e[0], y), Math.max(e[1], y)] : [y, y]);
  }
  return out;
}

test("min/max downsampling keeps every pixel column's extent with at most 2 points per column", () => {
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const n = 1_000_000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let x = 0;
  for (let i = 0; i < n; i++) {
    x += 0.5 + rand(); // uneven spacing
    xs[i] = x;
    ys[i] = Math.sin(i / 5000) + (rand() - 0.5) * 0.3 + (i === 777_777 ? 5 : 0); // one spike must survive
  }
  const cols = 800;
  const t0 = performance.now();
  const d = minMaxDownsample(xs, ys, cols);
  const ms = performance.now() - t0;
  console.log(`downsampled ${n} points to ${d.xs.length} for ${cols} columns in ${ms.toFixed(1)} ms`);
  assert.ok(d.xs.length <= 2 * cols + 2, `${d.xs.length} points`);
  assert.ok(d.xs.length >= cols, `${d.xs.length} points`);
  assert.deepEqual(envelope(d.xs, d.ys, cols, xs[0]!, xs[n - 1]!), envelope(xs, ys, cols, xs[0]!, xs[n - 1]!));
  assert.ok(d.ys.includes(ys[777_777]!), 'the spike is kept');
  assert.equal(d.xs[0], xs[0]);
  assert.equal(d.xs.at(-1), xs[n - 1]);
  for (let i = 1; i < d.xs.length; i++) assert.ok(d.xs[i]! > d.xs[i - 1]!, 'x order kept');
  // Zoomed to a range: the same extents there, plus one point beyond each end so the line runs off the edges.
  const [a, b] = [xs[400_000]!, xs[400_900]!];
  const z = minMaxDownsample(xs, ys, cols, a, b);
  assert.equal(z.xs[0], xs[399_999]);
  assert.equal(z.xs.at(-1), xs[400_901]);
  assert.deepEqual(envelope(z.xs, z.ys, cols, a, b), envelope(xs, ys, cols, a, b));
  assert.equal(z.xs.length, 901 + 2, 'fewer points than columns: all kept');
});

test('downsampling: nulls and non-finite y dropped, empty input, a single column, short series untouched', () => {
  assert.deepEqual(minMaxDownsample([], [], 10), { xs: [], ys: [] });
  assert.deepEqual(minMaxDownsample([1, 2, 3, 4], [1, null, NaN, 2], 10), { xs: [1, 4], ys: [1, 2] });
  assert.deepEqual(minMaxDownsample([1, 2, 3, 4, 5], [3, 9, 1, 5, 4], 1), { xs: [1, 2, 3, 5], ys: [3, 9, 1, 4] });
  assert.deepEqual(minMaxDownsample([5], [7], 100), { xs: [5], ys: [7] });
});

test("step events become columns; a resumed run's redone steps replace the earlier; x axes place both kinds", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const step = (epoch: number, s: number, at: number, loss: number): TrainerEvent => ({
    type: 'step',
    t: t(at),
    epoch,
    step: s,
    loss,
    lr: 0.05,
    imagesPerSecond: 100 + s,
    steps: 2,
    epochFraction: (((s - 1) % 4) + 1) / 4,
  });
  const events: TrainerEvent[] = [
    { type: 'start', t: t(0), runDir: '/r', epochs: 3, startEpoch: 0, engine: {} as never, images: 40 },
    step(0, 2, 10, 4),
    step(0, 4, 20, 3.5),
    { type: 'epoch', t: t(25), metrics: metricsFor(0, 10, 40), step: 4 },
    step(1, 6, 30, 3), // killed here; resume redoes epoch 1
    step(1, 6, 100, 2.9),
    step(1, 8, 110, 2.8),
    { type: 'epoch', t: t(115), metrics: metricsFor(1, 10, 40), step: 8 },
  ];
  const r = { runId: 'r', runDir: '/r', live: false, ...seriesFromEvents(events) };
  assert.deepEqual(r.steps!.step, [2, 4, 6, 8]);
  assert.deepEqual(r.steps!.loss, [4, 3.5, 2.9, 2.8]);
  assert.deepEqual(r.epochAt, { step: [4, 8], time: [Date.parse(t(25)) / 1000, Date.parse(t(115)) / 1000] });
  assert.equal(r.startTime, Date.parse(t(0)) / 1000);
  const [stepLoss, epochLoss] = CHARTS.find((c) => c.id === 'loss')!.metrics;
  assert.deepEqual([...points(r, stepLoss!, 'step').xs], [2, 4, 6, 8]);
  assert.deepEqual([...points(r, epochLoss!, 'step').xs], [4, 8]);
  assert.deepEqual([...points(r, stepLoss!, 'epoch').xs], [0.5, 1, 1.5, 2]);
  assert.deepEqual([...points(r, epochLoss!, 'epoch').xs], [1, 2], 'epoch e measured at its end: e + 1');
  assert.deepEqual([...points(r, stepLoss!, 'relative').xs], [10, 20, 100, 110]);
  assert.deepEqual([...points(r, epochLoss!, 'wall').xs], [Date.parse(t(25)) / 1000, Date.parse(t(115)) / 1000]);
  // A run without steps: no step axis positions for its epochs, so they are left out there (and drawn by epoch).
  const old = {
    runId: 'o',
    runDir: '/o',
    live: false,
    ...seriesFromEvents(
      events.filter((e) => e.type !== 'step').map((e) => (e.type === 'epoch' ? { ...e, step: undefined } : e)),
    ),
  };
  assert.equal(old.steps, undefined);
  assert.deepEqual([...points(old, epochLoss!, 'step').xs], []);
  assert.deepEqual([...points(old, epochLoss!, 'epoch').xs], [1, 2]);
  const [xs, a, b] = joinSeries([
    { xs: [1, 3], ys: [10, 30] },
    { xs: [2, 3, 4], ys: [20, 31, 40] },
  ]);
  assert.deepEqual(xs, [1, 2, 3, 4]);
  assert.deepEqual(a, [10, null, 30, null]);
  assert.deepEqual(b, [null, 20, 31, 40]);
  assert.deepEqual([45, 125, 3900, 200000].map(formatElapsed), ['45s', '2m 05s', '1h 05m', '2d 07h']);
});
