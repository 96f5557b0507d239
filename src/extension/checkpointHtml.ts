// The checkpoint inspector's page, rendered on the host so the first paint needs no round trip. Pure: strings in,
// HTML out. Charts are inline SVG (no script needed for them); the one script only forwards button clicks.
import type { EpochMetrics, RunManifest } from '../protocol';
import type { CheckpointView } from './checkpointData';

export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A polyline sparkline over `values` (undefined values are gaps), scaled to its own min..max. */
export function sparkline(values: (number | undefined)[], width = 160, height = 32): string {
  const pts = values
    .map((v, i) => [i, v] as const)
    .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
  if (pts.length === 0) return '<span class="muted">no data</span>';
  const ys = pts.map((p) => p[1]);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const n = Math.max(1, values.length - 1);
  const xy = pts.map(
    ([i, v]) =>
      `${((i / n) * (width - 4) + 2).toFixed(1)},${(height - 2 - ((v - lo) / (hi - lo || 1)) * (height - 4)).toFixed(1)}`,
  );
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${xy.join(' ')}"/></svg>`;
}

/** Histogram of cluster sizes: `bins` equal-width bins from 0 to the largest size. */
export function histogramBins(sizes: number[], bins = 20): number[] {
  const max = Math.max(0, ...sizes);
  const counts = new Array<number>(bins).fill(0);
  for (const s of sizes) counts[max === 0 ? 0 : Math.min(bins - 1, Math.floor((s / max) * bins))]!++;
  return counts;
}

function histogramSvg(sizes: number[], width = 320, height = 80): string {
  const counts = histogramBins(sizes);
  const top = Math.max(1, ...counts);
  const w = width / counts.length;
  const bars = counts.map(
    (c, i) =>
      `<rect x="${(i * w + 1).toFixed(1)}" y="${(height - (c / top) * height).toFixed(1)}" width="${(w - 2).toFixed(1)}" height="${((c / top) * height).toFixed(1)}"><title>${c} clusters</title></rect>`,
  );
  return `<svg class="hist" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="cluster size histogram">${bars.join('')}</svg>`;
}

const fmt = (v: number | undefined, d = 3) => (v === undefined ? '–' : v.toFixed(d));

export interface InspectorInput {
  view: CheckpointView;
  run?: RunManifest;
  history: EpochMetrics[];
  nonce: string;
  cspSource: string;
  styleUri?: string;
}

export function renderInspector({ view, run, history, nonce, cspSource, styleUri }: InspectorInput): string {
  const m = view.metrics;
  const cfg = run?.config;
  const sizes = view.clusters.map((c) => c.size);
  const nonEmpty = sizes.filter((s) => s > 0);
  const rows = (pairs: [string, unknown][]) =>
    pairs
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
      .join('');
  const series: [string, (e: EpochMetrics) => number | undefined, number][] = [
    ['loss', (e) => e.loss, 3],
    ['NMI(t, t−1)', (e) => e.nmiPrev, 3],
    ['NMI vs labels', (e) => e.nmiLabels, 3],
    ['accuracy', (e) => e.accuracy, 3],
    ['clustering objective', (e) => e.clusteringObjective, 1],
  ];
  const metricRows = series
    .filter(([, f]) => history.some((e) => f(e) !== undefined))
    .map(
      ([name, f, d]) =>
        `<tr><th>${esc(name)}</th><td>${sparkline(history.map(f))}</td><td>${fmt(m ? f(m) : undefined, d)}</td></tr>`,
    )
    .join('');
  const layers = view.layers
    .map(
      (l) =>
        `<tr><td>${esc(l.name)}</td><td>${l.weights.map((w) => `${esc(w.name.split('/').pop())} [${w.shape.join('×')}]`).join(', ')}</td><td class="num">${l.params.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const engine = run?.engine;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; img-src ${cspSource} data:; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
${styleUri ? `<link rel="stylesheet" href="${esc(styleUri)}">` : ''}
<title>Checkpoint epoch ${view.manifest.epoch}</title></head><body>
<h1>Checkpoint · epoch ${view.manifest.epoch}</h1>
<p class="muted">${esc(view.dir)} · written ${esc(view.manifest.created)}</p>
<div class="actions">
<button data-panel="clusterGrid">Cluster grid</button><button data-panel="curves">Training curves</button><button data-panel="filters">Filters</button>
</div>
<section><h2>Configuration</h2><table>${rows([
    ['recipe', cfg ? (cfg.recipe ?? 'paper') : undefined],
    ['architecture', view.manifest.arch],
    ['k (clusters)', view.manifest.k],
    ['images', view.manifest.images],
    ['data', run?.dataset?.path ?? cfg?.data ?? 'bundled sample'],
    ['epochs planned', cfg?.epochs],
    ['batch size', cfg?.batchSize],
    ...(cfg?.recipe === 'v2' && cfg.v2
      ? ([
          ['prototype sets', `${cfg.v2.heads} x ${cfg.k} (temperature ${cfg.v2.temperature})`],
          ['crops', `2 large + ${cfg.v2.smallCrops} small`],
        ] as [string, unknown][])
      : ([
          ['PCA dims', cfg?.pca],
          ['Sobel', cfg?.sobel],
          ['clustering', cfg?.clustering],
          ['sampler', cfg?.sampler],
        ] as [string, unknown][])),
    ['learning rate', cfg?.lr],
    ['seed', cfg?.seed],
  ])}</table></section>
<section><h2>Backend</h2><table>${
    rows([
      ['backend', engine?.backend],
      ['device', engine?.device],
      ['provider', engine?.provider],
      ['software', engine ? (engine.software ? 'yes (slow)' : 'no') : undefined],
    ]) || '<tr><td class="muted">not recorded</td></tr>'
  }</table></section>
${qualitySection(view)}
<section><h2>Metrics</h2><table>${metricRows || '<tr><td class="muted">no epoch metrics yet</td></tr>'}</table></section>
<section><h2>Cluster sizes</h2>
<p>${view.clusters.length} clusters · ${view.clusters.length - nonEmpty.length} empty · largest ${Math.max(0, ...sizes)} · smallest non-empty ${nonEmpty.length ? Math.min(...nonEmpty) : 0}</p>
${histogramSvg(sizes)}</section>
<section><h2>Architecture</h2><p>${view.totalParams.toLocaleString('en-US')} parameters${view.modelOptions ? ` · options ${esc(JSON.stringify(view.modelOptions))}` : ''}</p>
<table class="layers"><tr><th>layer</th><th>weights</th><th>params</th></tr>${layers || '<tr><td class="muted" colspan="3">no weights manifest</td></tr>'}</table></section>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const b of document.querySelectorAll('button[data-panel]')) b.addEventListener('click', () => vscode.postMessage({ type: 'openPanel', panel: b.dataset.panel }));
</script></body></html>`;
}

/** "What training bought": the quality report beside its baselines, or how to get one. */
export function qualitySection(view: CheckpointView): string {
  const q = view.quality;
  if (!q) {
    return `<section><h2>What training bought</h2><p class="muted">Not measured yet. On labelled data (class subfolders, IDX, CIFAR) training ends with it; for this checkpoint run <code>deepcluster eval ${esc(view.dir)}</code>. Without labels, accuracy cannot be measured: NMI(t, t−1), the cluster sizes and the objective below are what can be shown.</p></section>`;
  }
  const rows = q.rows
    .map(
      (r) =>
        `<tr><th>${esc(r.features)}</th><td class="num">${r.dim}</td><td class="num">${fmt(r.knn20)}</td><td class="num">${fmt(r.kmeansNmi)} ± ${fmt(r.kmeansNmiStd)}</td><td class="num">${fmt(r.linearProbe)}</td></tr>`,
    )
    .join('');
  return `<section><h2>What training bought</h2><p class="muted">${q.classes} classes · ${q.trainImages} training images · ${q.heldOut} held out (${esc(q.split)})</p>
<table class="quality"><tr><th>features</th><th>dim</th><th>kNN-20</th><th>k-means NMI (5 seeds)</th><th>linear probe</th></tr>${rows}</table></section>`;
}
