// Training curves panel: loss, NMI(t,t-1), NMI/ARI/accuracy/purity against labels, k-means objective, cluster sizes and
// seconds per phase, for one or several runs overlaid; TensorBoard-style smoothing drawn over the faint raw
// series; log y per chart; live updates pushed by the host; CSV and PNG export. Charts are uPlot (canvas).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import './style.css';
import uPlot from 'uplot';
import type { CurvesInit, CurvesRequest, CurvesUiState, RunSeries } from '../../src/protocol/webview';
import { h } from '../shared/dom';
import { initialState, onPush, ready, request, savedState, saveState } from '../shared/host';
import { cssVar, onThemeChange, palette } from '../shared/theme';
import { aligned, CHARTS, toCsv, type ChartSpec } from './series';
import { debiasedEma } from './smoothing';

const init = initialState<CurvesInit>();
const saved = savedState<{ runDirs: string[]; ui: CurvesUiState }>();
let runs: RunSeries[] = init.runs;
const ui: CurvesUiState = { smoothing: 0.6, logY: {}, hidden: [], ...init.ui, ...saved?.ui };
const charts = new Map<string, uPlot>();

function persist(): void {
  saveState({ runDirs: runs.map((r) => r.runDir), ui });
}

export function withAlpha(colour: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(colour.trim());
  if (!m) return colour;
  const n = parseInt(m[1]!, 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const logOf = (c: ChartSpec) => ui.logY[c.id] ?? c.logDefault;

/** uPlot data for one chart: x, then per run and metric the raw series and its smoothed twin. */
function chartData(c: ChartSpec): uPlot.AlignedData {
  const cols: (number | null)[][] = [];
  let xs: number[] = [];
  for (const metric of c.metrics) {
    const a = aligned(runs, metric);
    xs = a.xs;
    for (const ys of a.ys) {
      const raw = logOf(c) ? ys.map((y) => (y !== null && y > 0 ? y : null)) : ys;
      cols.push(raw, c.smooth ? debiasedEma(raw, ui.smoothing) : raw);
    }
  }
  // Every metric aligned over the same runs gives the same xs; order columns run-major for stable colours.
  return [xs, ...cols] as uPlot.AlignedData;
}

function chartOptions(c: ChartSpec, width: number): uPlot.Options {
  const fg = cssVar('--vscode-foreground', '#ccc');
  const grid = cssVar('--vscode-editorRuler-foreground', 'rgba(128,128,128,0.3)');
  const colours = palette();
  const series: uPlot.Series[] = [{ label: 'epoch' }];
  c.metrics.forEach((metric, mi) =>
    runs.forEach((r, ri) => {
      const colour = colours[(ri * c.metrics.length + mi) % colours.length]!;
      const name = `${runs.length > 1 ? `${r.runId} ` : ''}${metric.label}`;
      series.push({ label: `${name} (raw)`, stroke: c.smooth ? withAlpha(colour, 0.28) : colour, width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: name, stroke: colour, width: c.smooth ? 2 : 1.5, spanGaps: true, show: !ui.hidden.includes(`${c.id}:${name}`), points: { show: !c.smooth, size: 4 } });
    }),
  );
  const axis = { stroke: fg, grid: { stroke: withAlpha(grid, 0.35), width: 1 }, ticks: { stroke: withAlpha(grid, 0.35), width: 1 } };
  return {
    width,
    height: 210,
    series,
    scales: { x: { time: false }, y: logOf(c) ? { distr: 3, log: 10 } : { auto: true } },
    // Epochs are whole numbers: no 0.5 ticks.
    axes: [{ ...axis, label: 'epoch', labelSize: 14, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { ...axis, size: 64 }],
    cursor: { sync: { key: 'dc-curves' }, drag: { x: true, y: false } },
    legend: { live: true },
    hooks: {
      setSeries: [
        (u, i) => {
          if (i === null || i === undefined || i % 2 !== 0) return; // smoothed series are the even ones
          const show = !!u.series[i]!.show;
          if (u.series[i - 1]!.show !== show) u.setSeries(i - 1, { show });
          const key = `${c.id}:${u.series[i]!.label}`;
          ui.hidden = show ? ui.hidden.filter((k) => k !== key) : [...new Set([...ui.hidden, key])];
          persist();
        },
      ],
    },
  };
}

const grid = h('div', { class: 'charts' });
function chartWidth(): number {
  const w = grid.clientWidth || document.body.clientWidth || 900;
  return Math.max(260, Math.floor((w >= 760 ? w / 2 : w) - 24));
}

/** (Re)creates every chart: after a theme change, a log toggle, or a change in the set of runs. */
function buildCharts(): void {
  for (const u of charts.values()) u.destroy();
  charts.clear();
  grid.replaceChildren();
  const width = chartWidth();
  for (const c of CHARTS) {
    const log = h('vscode-checkbox', { checked: logOf(c), label: 'log y', 'aria-label': `${c.title}: logarithmic y axis` });
    log.addEventListener('change', () => {
      ui.logY[c.id] = !!(log as unknown as { checked: boolean }).checked;
      persist();
      buildCharts();
    });
    const box = h('section', { class: 'chart', 'data-chart': c.id, 'aria-label': c.title }, h('header', {}, h('h3', {}, c.title), log));
    grid.append(box);
    const u = new uPlot(chartOptions(c, width), chartData(c), box);
    // The raw twins stay out of the legend: the smoothed entry toggles both.
    u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
      if (i > 0 && i % 2 === 1) row.style.display = 'none';
    });
    charts.set(c.id, u);
    box.dataset.points = String(u.data[0].length);
  }
  empty.hidden = runs.some((r) => r.metrics.length > 0);
}

function refreshData(): void {
  for (const c of CHARTS) {
    const u = charts.get(c.id);
    if (!u) continue;
    u.setData(chartData(c));
    (u.root.parentElement as HTMLElement).dataset.points = String(u.data[0].length);
  }
  empty.hidden = runs.some((r) => r.metrics.length > 0);
}

// ---- toolbar
const smoothing = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(ui.smoothing), class: 'smoothing', 'aria-label': 'Smoothing' }) as HTMLInputElement;
const smoothingValue = h('span', { class: 'smoothing-value' }, ui.smoothing.toFixed(2));
smoothing.addEventListener('input', () => {
  ui.smoothing = Number(smoothing.value);
  smoothingValue.textContent = ui.smoothing.toFixed(2);
  refreshData();
  persist();
});
const runList = h('span', { class: 'runs' });
function renderRuns(): void {
  runList.replaceChildren(
    ...runs.map((r) =>
      h('span', { class: 'run-chip' }, `${r.runId}${r.live ? ' ●' : ''}`, runs.length > 1 ? h('button', { class: 'chip-x', title: `Remove ${r.runId}`, 'aria-label': `Remove ${r.runId}`, onclick: () => void removeRun(r.runId) }, '×') : null),
    ),
  );
}
async function addRun(): Promise<void> {
  const { run } = await request<Extract<CurvesRequest, { type: 'addRun' }>>({ type: 'addRun' }).done;
  if (!run || runs.some((r) => r.runDir === run.runDir)) return;
  runs = [...runs, run];
  renderRuns();
  renderQuality();
  buildCharts();
  persist();
}
async function removeRun(runId: string): Promise<void> {
  await request<Extract<CurvesRequest, { type: 'removeRun' }>>({ type: 'removeRun', runId }).done;
  runs = runs.filter((r) => r.runId !== runId);
  renderRuns();
  renderQuality();
  buildCharts();
  persist();
}

/** All charts drawn onto one canvas (2 columns, titles above), on the editor background. */
export function chartsPng(): string {
  const list = CHARTS.map((c) => ({ c, u: charts.get(c.id)! })).filter((x) => x.u);
  const dpr = window.devicePixelRatio || 1;
  const cw = list[0]!.u.ctx.canvas.width;
  const ch = list[0]!.u.ctx.canvas.height;
  const title = Math.round(22 * dpr);
  const cols = 2;
  const out = document.createElement('canvas');
  out.width = cols * cw;
  out.height = Math.ceil(list.length / cols) * (ch + title);
  const g = out.getContext('2d')!;
  g.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
  g.fillRect(0, 0, out.width, out.height);
  g.fillStyle = cssVar('--vscode-foreground', '#ccc');
  g.font = `${Math.round(13 * dpr)}px ${cssVar('--vscode-font-family', 'sans-serif')}`;
  list.forEach(({ c, u }, i) => {
    const x = (i % cols) * cw;
    const y = Math.floor(i / cols) * (ch + title);
    g.fillText(c.title, x + 8 * dpr, y + 16 * dpr);
    g.drawImage(u.ctx.canvas, x, y + title);
  });
  return out.toDataURL('image/png');
}

const toolbar = h(
  'header',
  { class: 'toolbar', role: 'toolbar' },
  h('strong', { class: 'title' }, 'Training curves'),
  runList,
  h('vscode-button', { secondary: true, onclick: () => void addRun(), title: 'Overlay another run' }, 'Add run…'),
  h('label', { class: 'ctl' }, h('span', {}, 'Smoothing'), smoothing, smoothingValue),
  h('span', { class: 'spacer' }),
  h('vscode-button', { secondary: true, onclick: () => void request<Extract<CurvesRequest, { type: 'exportCsv' }>>({ type: 'exportCsv', csv: toCsv(runs) }).done.catch(() => undefined) }, 'Export CSV'),
  h('vscode-button', { secondary: true, onclick: () => void request<Extract<CurvesRequest, { type: 'exportPng' }>>({ type: 'exportPng', png: chartsPng() }).done.catch(() => undefined) }, 'Export PNG'),
);
const empty = h('p', { class: 'muted empty', hidden: true }, 'No epoch has finished yet: the curves appear after the first one.');
const quality = h('section', { class: 'quality' });
/** "What training bought" per run: the quality report's rows, or why there is none. */
function renderQuality(): void {
  const f = (v: number) => v.toFixed(3);
  quality.replaceChildren(
    h('h2', {}, 'What training bought'),
    ...runs.map((r) => {
      const before = r.initialNmi !== undefined && r.metrics.length ? ` · NMI vs labels ${f(r.initialNmi)} before training → ${r.metrics[r.metrics.length - 1]!.nmiLabels?.toFixed(3) ?? '–'} now` : '';
      if (!r.quality) {
        const why = r.metrics.some((m) => m.nmiLabels !== undefined) ? 'measured when training ends (or run deepcluster eval on a checkpoint)' : 'needs labels: without them NMI(t, t−1), cluster sizes and the objective are what can be shown';
        return h('p', { class: 'muted' }, `${r.runId}: ${why}${before}`);
      }
      const q = r.quality;
      return h('div', {},
        h('p', { class: 'muted' }, `${r.runId}: ${q.classes} classes, ${q.trainImages} training / ${q.heldOut} held-out images (${q.split})${before}`),
        h('table', { class: 'quality-table' },
          h('tr', {}, ...['features', 'kNN-20', 'k-means NMI (5 seeds)', 'linear probe'].map((t) => h('th', {}, t))),
          ...q.rows.map((row) => h('tr', {}, h('th', {}, row.features), h('td', {}, f(row.knn20)), h('td', {}, `${f(row.kmeansNmi)} ± ${f(row.kmeansNmiStd)}`), h('td', {}, f(row.linearProbe))))),
      );
    }),
  );
}
document.body.append(h('main', { class: 'curves-panel' }, toolbar, empty, grid, quality));

onPush((m) => {
  if (m.type !== 'runSeries') return;
  const i = runs.findIndex((r) => r.runDir === m.run.runDir);
  if (i < 0) return;
  runs = runs.map((r, j) => (j === i ? m.run : r));
  renderRuns();
  renderQuality();
  refreshData();
});
onThemeChange(buildCharts);
let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    const w = chartWidth();
    for (const u of charts.values()) if (u.width !== w) u.setSize({ width: w, height: 210 });
  });
}).observe(grid);

renderRuns();
renderQuality();
buildCharts();
persist();
ready();
