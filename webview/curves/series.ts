// The curves of a run, as the charts and the CSV export see them: one accessor per metric, grouped into charts.
// A metric is epoch-level (from 'epoch' events) or step-level (a column of 'step' events); xAxis.ts places both
// on the chosen x axis.
import type { EpochMetrics } from '../../src/protocol/events';
import type { RunSeries, StepColumns } from '../../src/protocol/webview';

export type StepColumn = 'loss' | 'lr' | 'imagesPerSecond';

export interface Metric {
  key: string;
  label: string;
  /** Epoch-level value. */
  get?(m: EpochMetrics): number | undefined;
  /** Step-level column. */
  step?: StepColumn;
}

export interface ChartSpec {
  id: string;
  title: string;
  metrics: Metric[];
  /** Drawn smoothed over the faint raw series. */
  smooth: boolean;
  logDefault: boolean;
  /** Only shown when some run records steps. */
  stepsOnly?: boolean;
}

const m = (key: string, label: string, get: (m: EpochMetrics) => number | undefined): Metric => ({ key, label, get });
const s = (key: string, label: string, step: StepColumn): Metric => ({ key, label, step });

export const CHARTS: ChartSpec[] = [
  {
    id: 'loss',
    title: 'ConvNet loss',
    smooth: true,
    logDefault: false,
    metrics: [s('step_loss', 'loss (steps)', 'loss'), m('loss', 'loss', (x) => x.loss)],
  },
  {
    id: 'nmiPrev',
    title: 'NMI(t, t−1)',
    smooth: true,
    logDefault: false,
    metrics: [m('nmiPrev', 'NMI(t,t-1)', (x) => x.nmiPrev)],
  },
  {
    id: 'labels',
    title: 'Against labels',
    smooth: true,
    logDefault: false,
    metrics: [
      m('nmiLabels', 'NMI', (x) => x.nmiLabels),
      m('ari', 'ARI', (x) => x.ari),
      m('accuracy', 'accuracy', (x) => x.accuracy),
      m('purity', 'purity', (x) => x.purity),
    ],
  },
  {
    id: 'objective',
    title: 'k-means objective',
    smooth: true,
    logDefault: true,
    metrics: [m('clusteringObjective', 'objective', (x) => x.clusteringObjective)],
  },
  {
    id: 'sizes',
    title: 'Cluster sizes',
    smooth: false,
    logDefault: false,
    metrics: [
      m('largest', 'largest', (x) => x.clusters?.largest),
      m('smallest', 'smallest', (x) => x.clusters?.smallest),
      m('empty', 'empty', (x) => x.clusters?.empty),
    ],
  },
  {
    id: 'seconds',
    title: 'Seconds per phase',
    smooth: false,
    logDefault: false,
    metrics: (['features', 'clustering', 'training', 'checkpoint', 'evaluation'] as const).map((p) =>
      m(`sec_${p}`, p, (x) => x.seconds?.[p]),
    ),
  },
  {
    id: 'throughput',
    title: 'Throughput (images/s)',
    smooth: true,
    logDefault: false,
    stepsOnly: true,
    metrics: [s('imagesPerSecond', 'images/s', 'imagesPerSecond')],
  },
  {
    id: 'lr',
    title: 'Learning rate',
    smooth: false,
    logDefault: false,
    stepsOnly: true,
    metrics: [s('lr', 'lr', 'lr')],
  },
];

export const hasSteps = (runs: RunSeries[]) => runs.some((r) => (r.steps?.step.length ?? 0) > 0);

/** The charts and, per chart, the metrics worth a series for these runs (step metrics only when some run has steps). */
export function visibleCharts(runs: RunSeries[]): ChartSpec[] {
  const steps = hasSteps(runs);
  return CHARTS.filter((c) => steps || !c.stepsOnly).map((c) =>
    steps ? c : { ...c, metrics: c.metrics.filter((x) => !x.step) },
  );
}

/** The values of one metric of one run, in the run's order: per epoch entry or per step entry. */
export function metricValues(r: RunSeries, metric: Metric): (number | null)[] {
  const finite = (v: number | undefined | null) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);
  // Step columns as they came (10^6 entries: no copy); points() skips non-finite values.
  if (metric.step) return (r.steps as StepColumns | undefined)?.[metric.step] ?? [];
  return r.metrics.map((x) => finite(metric.get!(x)));
}

/** Epochs of all runs, ascending, and per run and metric the values aligned to them (null where absent). */
export function aligned(runs: RunSeries[], metric: Metric): { xs: number[]; ys: (number | null)[][] } {
  const xs = [...new Set(runs.flatMap((r) => r.metrics.map((x) => x.epoch)))].sort((a, b) => a - b);
  const ys = runs.map((r) => {
    const vals = metricValues(r, metric);
    const by = new Map(r.metrics.map((x, i) => [x.epoch, vals[i]]));
    return xs.map((e) => by.get(e) ?? null);
  });
  return { xs, ys };
}

/** Every epoch-level metric of every run, one row per run and epoch. */
export function toCsv(runs: RunSeries[]): string {
  const metrics = CHARTS.flatMap((c) => c.metrics).filter((x) => x.get);
  const lines = [['run', 'epoch', ...metrics.map((x) => x.key)].join(',')];
  for (const r of runs)
    for (const e of r.metrics) lines.push([r.runId, e.epoch, ...metrics.map((x) => x.get!(e) ?? '')].join(','));
  return lines.join('\n') + '\n';
}
