// The curves of a run, as the charts and the CSV export see them: one accessor per metric, grouped into charts.
import type { EpochMetrics } from '../../src/protocol/events';
import type { RunSeries } from '../../src/protocol/webview';

export interface Metric {
  key: string;
  label: string;
  get(m: EpochMetrics): number | undefined;
}

export interface ChartSpec {
  id: string;
  title: string;
  metrics: Metric[];
  /** Drawn smoothed over the faint raw series. */
  smooth: boolean;
  logDefault: boolean;
}

const m = (key: string, label: string, get: (m: EpochMetrics) => number | undefined): Metric => ({ key, label, get });

export const CHARTS: ChartSpec[] = [
  { id: 'loss', title: 'ConvNet loss', smooth: true, logDefault: false, metrics: [m('loss', 'loss', (x) => x.loss)] },
  { id: 'nmiPrev', title: 'NMI(t, t−1)', smooth: true, logDefault: false, metrics: [m('nmiPrev', 'NMI(t,t-1)', (x) => x.nmiPrev)] },
  {
    id: 'labels', title: 'Against labels', smooth: true, logDefault: false,
    metrics: [m('nmiLabels', 'NMI', (x) => x.nmiLabels), m('ari', 'ARI', (x) => x.ari), m('accuracy', 'accuracy', (x) => x.accuracy), m('purity', 'purity', (x) => x.purity)],
  },
  { id: 'objective', title: 'k-means objective', smooth: true, logDefault: true, metrics: [m('clusteringObjective', 'objective', (x) => x.clusteringObjective)] },
  {
    id: 'sizes', title: 'Cluster sizes', smooth: false, logDefault: false,
    metrics: [m('largest', 'largest', (x) => x.clusters?.largest), m('smallest', 'smallest', (x) => x.clusters?.smallest), m('empty', 'empty', (x) => x.clusters?.empty)],
  },
  {
    id: 'seconds', title: 'Seconds per phase', smooth: false, logDefault: false,
    metrics: (['features', 'clustering', 'training', 'checkpoint', 'evaluation'] as const).map((p) => m(`sec_${p}`, p, (x) => x.seconds?.[p])),
  },
];

/** Epochs of all runs, ascending, and per run and metric the values aligned to them (null where absent). */
export function aligned(runs: RunSeries[], metric: Metric): { xs: number[]; ys: (number | null)[][] } {
  const xs = [...new Set(runs.flatMap((r) => r.metrics.map((x) => x.epoch)))].sort((a, b) => a - b);
  const ys = runs.map((r) => {
    const by = new Map(r.metrics.map((x) => [x.epoch, metric.get(x)]));
    return xs.map((e) => {
      const v = by.get(e);
      return v === undefined || !Number.isFinite(v) ? null : v;
    });
  });
  return { xs, ys };
}

/** Every metric of every run, one row per run and epoch. */
export function toCsv(runs: RunSeries[]): string {
  const metrics = CHARTS.flatMap((c) => c.metrics);
  const lines = [['run', 'epoch', ...metrics.map((x) => x.key)].join(',')];
  for (const r of runs) for (const e of r.metrics) lines.push([r.runId, e.epoch, ...metrics.map((x) => x.get(e) ?? '')].join(','));
  return lines.join('\n') + '\n';
}
