// Where each point goes on the chosen x axis, and the joining of several (x, y) series into uPlot's one shared
// x column.
//   step      the global optimisation step (epoch metrics at the step of their epoch's end)
//   epoch     epochs done: epoch e's metrics at e + 1 (measured at its end), its steps at e + fraction done
//   relative  seconds since the run's first event
//   wall      Unix seconds (drawn as dates)
import type { CurvesXAxis, RunSeries } from '../../src/protocol/webview';
import type { Metric } from './series';
import { metricValues } from './series';

export const X_AXES: [CurvesXAxis, string][] = [
  ['step', 'Step'],
  ['epoch', 'Epoch'],
  ['relative', 'Relative'],
  ['wall', 'Wall'],
];

/** The x of every value of `metric` in run `r` (same order as metricValues; null: cannot be placed). */
export function metricXs(r: RunSeries, metric: Metric, axis: CurvesXAxis): (number | null)[] {
  const t0 = r.startTime ?? 0;
  if (metric.step) {
    const s = r.steps;
    if (!s) return [];
    switch (axis) {
      case 'step':
        return s.step;
      case 'epoch':
        return s.epoch.map((e, i) => e + (s.epochFraction[i] ?? 1));
      case 'relative':
        return s.time.map((t) => t - t0);
      case 'wall':
        return s.time;
    }
  }
  const at = r.epochAt;
  switch (axis) {
    case 'epoch':
      return r.metrics.map((m) => m.epoch + 1);
    case 'step':
      return r.metrics.map((_, i) => at?.step[i] ?? null);
    case 'relative':
      return r.metrics.map((_, i) => (at?.time[i] == null ? null : at.time[i]! - t0));
    case 'wall':
      return r.metrics.map((_, i) => at?.time[i] ?? null);
  }
}

/** The metric's placeable points (finite x and y), ascending in x (stable for equal x), as dense arrays. */
export function points(r: RunSeries, metric: Metric, axis: CurvesXAxis): { xs: Float64Array; ys: Float64Array } {
  const xs = metricXs(r, metric, axis);
  const ys = metricValues(r, metric);
  const n = Math.min(xs.length, ys.length);
  let ox = new Float64Array(n);
  let oy = new Float64Array(n);
  let k = 0;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x === null || y === null || x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y))
      continue;
    if (k > 0 && ox[k - 1]! > x) sorted = false;
    ox[k] = x;
    oy[k++] = y;
  }
  ox = ox.subarray(0, k);
  oy = oy.subarray(0, k);
  if (!sorted) {
    const idx = Array.from({ length: k }, (_, i) => i).sort((a, b) => ox[a]! - ox[b]! || a - b);
    ox = Float64Array.from(idx, (i) => ox[i]!);
    oy = Float64Array.from(idx, (i) => oy[i]!);
  }
  return { xs: ox, ys: oy };
}

/** Joins series with their own ascending xs into one x column (the union) and y columns with nulls elsewhere. */
export function joinSeries(
  series: { xs: ArrayLike<number>; ys: ArrayLike<number | null> }[],
): [number[], ...(number | null)[][]] {
  const all: number[] = [];
  for (const s of series) for (let i = 0; i < s.xs.length; i++) all.push(s.xs[i]!);
  all.sort((a, b) => a - b);
  const xs: number[] = [];
  for (const x of all) if (xs.length === 0 || xs[xs.length - 1] !== x) xs.push(x);
  const cols = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    let j = 0;
    for (let i = 0; i < s.xs.length; i++) {
      while (xs[j]! < s.xs[i]!) j++;
      col[j] = s.ys[i]!;
    }
    return col;
  });
  return [xs, ...cols];
}

/** Axis tick text for seconds since the start: 45s, 12m, 3h 05m, 2d 04h. */
export function formatElapsed(s: number): string {
  const sign = s < 0 ? '-' : '';
  s = Math.abs(s);
  if (s < 60) return `${sign}${Math.round(s)}s`;
  if (s < 3600)
    return `${sign}${Math.floor(s / 60)}m${s % 60 >= 1 ? ` ${String(Math.round(s % 60)).padStart(2, '0')}s` : ''}`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${sign}${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
