// Training curves panel: loss (per step and per epoch), NMI(t,t-1), NMI/ARI/accuracy/purity against labels, k-means
// objective, cluster sizes, seconds per phase, throughput and learning rate, for one or several runs overlaid,
// against step, epoch, relative or wall time; TensorBoard-style smoothing drawn over the faint raw series; log y
// per chart; long series min/max-downsampled per pixel column (again on zoom); live updates pushed by the host;
// CSV and PNG export. Charts are uPlot (canvas).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import './style.css';
import uPlot from 'uplot';
import type { Phase } from '../../src/protocol/events';
import type { CurvesInit, CurvesRequest, CurvesUiState, CurvesXAxis, RunSeries } from '../../src/protocol/webview';
import { h } from '../shared/dom';
import { initialState, onPush, ready, request, savedState, saveState } from '../shared/host';
import { cssVar, onThemeChange, palette } from '../shared/theme';
import { minMaxDownsample } from './downsample';
import { hasSteps, toCsv, visibleCharts, type ChartSpec, type Metric } from './series';
import { debiasedEmaDense } from './smoothing';
import { describeLive, timelineRows, TIMELINE_PHASES } from './progress';
import { formatElapsed, joinSeries, points, X_AXES } from './xAxis';

const init = initialState<CurvesInit>();
const saved = savedState<{ runDirs: string[]; ui: CurvesUiState }>();
let runs: RunSeries[] = init.runs;
const ui: CurvesUiState = { smoothing: 0.6, xAxis: 'step', logY: {}, hidden: [], ...init.ui, ...saved?.ui };
// Runs without steps (older runs) have no step axis to speak of: start them by epoch.
if (!init.ui?.xAxis && !saved?.ui?.xAxis && !hasSteps(runs)) ui.xAxis = 'epoch';

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

/** A chart's lines: per metric and run, the raw points (and smoothed twin) before downsampling. */
interface Line {
  run: RunSeries;
  metric: Metric;
  xs: Float64Array;
  raw: Float64Array;
  smooth: Float64Array;
}
/** points() per run data and axis: smoothing, zoom, log toggles and other runs' pushes reuse them (10^6 steps). */
const pointsCache = new WeakMap<RunSeries, Map<string, { xs: Float64Array; ys: Float64Array }>>();
function cachedPoints(run: RunSeries, metric: Metric): { xs: Float64Array; ys: Float64Array } {
  let byKey = pointsCache.get(run);
  if (!byKey) pointsCache.set(run, (byKey = new Map()));
  const key = `${metric.key}:${ui.xAxis}`;
  let p = byKey.get(key);
  if (!p) byKey.set(key, (p = points(run, metric, ui.xAxis)));
  return p;
}

function chartLines(c: ChartSpec): Line[] {
  const lines: Line[] = [];
  for (const metric of c.metrics)
    for (const run of runs) {
      let { xs, ys } = cachedPoints(run, metric);
      if (logOf(c)) {
        // Into new arrays: the cached points stay whole.
        const fx = new Float64Array(xs.length);
        const fy = new Float64Array(ys.length);
        let k = 0;
        for (let i = 0; i < ys.length; i++) {
          if (!(ys[i]! > 0)) continue;
          fx[k] = xs[i]!;
          fy[k++] = ys[i]!;
        }
        xs = fx.subarray(0, k);
        ys = fy.subarray(0, k);
      }
      lines.push({ run, metric, xs, raw: ys, smooth: c.smooth ? debiasedEmaDense(ys, ui.smoothing) : ys });
    }
  return lines;
}

/** Pixel columns the x axis spans: the downsampling budget. */
const columnsOf = (width: number) => Math.max(50, Math.round(width * (window.devicePixelRatio || 1)));

/** uPlot data for one chart over [x0, x1] (whole range when absent): x, then per line its raw and smoothed series. */
function chartData(c: ChartSpec, lines: Line[], width: number, x0?: number, x1?: number): uPlot.AlignedData {
  const cols = columnsOf(width);
  const parts = lines.flatMap((l) => [
    minMaxDownsample(l.xs, l.raw, cols, x0, x1),
    c.smooth ? minMaxDownsample(l.xs, l.smooth, cols, x0, x1) : null,
  ]);
  // Unsmoothed charts draw one series twice; join each once.
  const joined = joinSeries(parts.filter((p): p is NonNullable<typeof p> => p !== null));
  const out: (number | null)[][] = [joined[0]];
  let k = 1;
  for (let i = 0; i < lines.length; i++) {
    const raw = joined[k++]!;
    out.push(raw, c.smooth ? joined[k++]! : raw);
  }
  return out as uPlot.AlignedData;
}

const X_LABELS: Record<CurvesXAxis, string> = {
  step: 'step',
  epoch: 'epochs done',
  relative: 'time since start',
  wall: 'time',
};

function chartOptions(
  c: ChartSpec,
  width: number,
  lines: Line[],
  onZoom: (u: uPlot) => void,
  onReset: (u: uPlot) => void,
): uPlot.Options {
  const fg = cssVar('--vscode-foreground', '#ccc');
  const grid = cssVar('--vscode-editorRuler-foreground', 'rgba(128,128,128,0.3)');
  const colours = palette();
  const series: uPlot.Series[] = [
    {
      label: X_LABELS[ui.xAxis],
      ...(ui.xAxis === 'relative'
        ? { value: (_u: uPlot, v: number | null) => (v === null ? '' : formatElapsed(v)) }
        : {}),
    },
  ];
  lines.forEach(({ run, metric }) => {
    const mi = c.metrics.indexOf(metric);
    const ri = runs.indexOf(run);
    const colour = colours[(ri * c.metrics.length + mi) % colours.length]!;
    const name = `${runs.length > 1 ? `${run.runId} ` : ''}${metric.label}`;
    // Step-level lines are dense: no point markers. Epoch-level ones keep theirs where unsmoothed.
    const dots = !c.smooth && !metric.step;
    series.push({
      label: `${name} (raw)`,
      stroke: c.smooth ? withAlpha(colour, 0.28) : colour,
      width: 1,
      spanGaps: true,
      points: { show: false },
    });
    series.push({
      label: name,
      stroke: colour,
      width: c.smooth ? 2 : 1.5,
      spanGaps: true,
      show: !ui.hidden.includes(`${c.id}:${name}`),
      points: { show: dots || (c.smooth && !metric.step && hasSteps(runs)), size: 4 },
    });
  });
  const axis = {
    stroke: fg,
    grid: { stroke: withAlpha(grid, 0.35), width: 1 },
    ticks: { stroke: withAlpha(grid, 0.35), width: 1 },
  };
  const xAxis: uPlot.Axis = { ...axis, label: X_LABELS[ui.xAxis], labelSize: 14 };
  if (ui.xAxis === 'epoch') xAxis.incrs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  if (ui.xAxis === 'relative') {
    xAxis.incrs = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800];
    xAxis.values = (_u, ticks) => ticks.map(formatElapsed);
  }
  return {
    width,
    height: 210,
    series,
    scales: { x: { time: ui.xAxis === 'wall' }, y: logOf(c) ? { distr: 3, log: 10 } : { auto: true } },
    axes: [xAxis, { ...axis, size: 64 }],
    cursor: {
      sync: { key: 'dc-curves' },
      drag: { x: true, y: false },
      // Double-click: back to the whole range, downsampled afresh (uPlot alone would fit the zoomed data).
      bind: {
        dblclick: (u) => () => {
          onReset(u);
          return null;
        },
      },
    },
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
      // A zoom (drag): redo the min/max downsampling for the new range, so zooming in shows every point.
      setScale: [(u, key) => void (key === 'x' && queueMicrotask(() => onZoom(u)))],
    },
  };
}

const grid = h('div', { class: 'charts' });
function chartWidth(): number {
  const w = grid.clientWidth || document.body.clientWidth || 900;
  return Math.max(260, Math.floor((w >= 760 ? w / 2 : w) - 24));
}

interface Drawn {
  spec: ChartSpec;
  u: uPlot;
  lines: Line[];
  /** The zoomed x range, when zoomed. */
  range?: [number, number];
  applying?: boolean;
}

/** Smallest and largest x of a chart's lines. */
function extent(lines: Line[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) {
    if (!l.xs.length) continue;
    lo = Math.min(lo, l.xs[0]!);
    hi = Math.max(hi, l.xs[l.xs.length - 1]!);
  }
  return [lo, hi];
}
let drawn: Drawn[] = [];
/** What decides the charts' series: rebuilt when it changes (a run added, its first steps, the axis). */
let shapeKey = '';
const shapeOf = () =>
  JSON.stringify([
    ui.xAxis,
    ui.logY,
    runs.map((r) => r.runId),
    visibleCharts(runs).map((c) => c.metrics.map((m) => m.key)),
  ]);

/** What a chart holds, for tests and people reading the DOM: points drawn and the x range they span. */
function markDrawn(box: HTMLElement, u: uPlot): void {
  const xs = u.data[0];
  box.dataset.points = String(xs.length);
  box.dataset.xRange = xs.length ? `${xs[0]},${xs[xs.length - 1]}` : '';
}

function setDrawMs(t0: number): void {
  document.body.dataset.drawMs = (performance.now() - t0).toFixed(1);
  document.body.dataset.draws = String(Number(document.body.dataset.draws ?? 0) + 1);
  document.body.dataset.points = String(runs.reduce((n, r) => n + r.metrics.length + (r.steps?.step.length ?? 0), 0));
}

/** (Re)creates every chart: after a theme change, a log toggle, an axis change, or a change in the set of runs. */
function buildCharts(): void {
  const t0 = performance.now();
  for (const d of drawn) d.u.destroy();
  drawn = [];
  grid.replaceChildren();
  const width = chartWidth();
  shapeKey = shapeOf();
  for (const c of visibleCharts(runs)) {
    const log = h('vscode-checkbox', {
      checked: logOf(c),
      label: 'log y',
      'aria-label': `${c.title}: logarithmic y axis`,
    });
    log.addEventListener('change', () => {
      ui.logY[c.id] = !!(log as unknown as { checked: boolean }).checked;
      persist();
      buildCharts();
    });
    const box = h(
      'section',
      { class: 'chart', 'data-chart': c.id, 'aria-label': c.title },
      h('header', {}, h('h3', {}, c.title), log),
    );
    grid.append(box);
    const lines = chartLines(c);
    const d: Drawn = { spec: c, lines, u: undefined as unknown as uPlot };
    const zoom = (u: uPlot) => {
      const { min, max } = u.scales.x;
      if (d.applying || min == null || max == null) return;
      if (d.range ? d.range[0] === min && d.range[1] === max : min <= extent(d.lines)[0] && max >= extent(d.lines)[1])
        return;
      d.applying = true;
      try {
        d.range = [min, max];
        u.setData(chartData(c, d.lines, u.width, min, max), false);
        u.setScale('x', { min, max });
      } finally {
        d.applying = false;
      }
      markDrawn(box, u);
    };
    const reset = (u: uPlot) => {
      d.range = undefined;
      d.applying = true;
      try {
        u.setData(chartData(c, d.lines, u.width), true);
      } finally {
        d.applying = false;
      }
      markDrawn(box, u);
    };
    d.u = new uPlot(chartOptions(c, width, lines, zoom, reset), chartData(c, lines, width), box);
    // The raw twins stay out of the legend: the smoothed entry toggles both.
    d.u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
      if (i > 0 && i % 2 === 1) row.style.display = 'none';
    });
    drawn.push(d);
    markDrawn(box, d.u);
  }
  empty.hidden = runs.some((r) => r.metrics.length > 0 || (r.steps?.step.length ?? 0) > 0);
  setDrawMs(t0);
}

/** New values for the same charts (a live push, smoothing): recomputes, downsamples and redraws. */
function refreshData(): void {
  if (shapeOf() !== shapeKey) return buildCharts();
  const t0 = performance.now();
  for (const d of drawn) {
    d.lines = chartLines(d.spec);
    d.u.setData(chartData(d.spec, d.lines, d.u.width, d.range?.[0], d.range?.[1]), !d.range);
    markDrawn(d.u.root.parentElement as HTMLElement, d.u);
  }
  empty.hidden = runs.some((r) => r.metrics.length > 0 || (r.steps?.step.length ?? 0) > 0);
  setDrawMs(t0);
}

// ---- toolbar
const smoothing = h('input', {
  type: 'range',
  min: '0',
  max: '0.99',
  step: '0.01',
  value: String(ui.smoothing),
  class: 'smoothing',
  'aria-label': 'Smoothing',
}) as HTMLInputElement;
const smoothingValue = h('span', { class: 'smoothing-value' }, ui.smoothing.toFixed(2));
smoothing.addEventListener('input', () => {
  ui.smoothing = Number(smoothing.value);
  smoothingValue.textContent = ui.smoothing.toFixed(2);
  refreshData();
  persist();
});
const xAxisSelect = h(
  'vscode-single-select',
  { 'aria-label': 'X axis', class: 'x-axis' },
  ...X_AXES.map(([v, t]) => h('vscode-option', { value: v, selected: v === ui.xAxis }, t)),
);
xAxisSelect.addEventListener('change', () => {
  const v = (xAxisSelect as unknown as { value: string }).value as CurvesXAxis;
  if (v === ui.xAxis || !X_AXES.some(([a]) => a === v)) return;
  ui.xAxis = v;
  persist();
  buildCharts();
});
const runList = h('span', { class: 'runs' });
function renderRuns(): void {
  const now = Date.now() / 1000;
  runList.replaceChildren(
    ...runs.map((r) => {
      const live = describeLive(r, now);
      return h(
        'span',
        { class: 'run-chip' },
        `${r.runId}${r.live ? ' ●' : ''}`,
        live ? h('span', { class: 'live-status muted' }, ` ${live}`) : null,
        runs.length > 1
          ? h(
              'button',
              {
                class: 'chip-x',
                title: `Remove ${r.runId}`,
                'aria-label': `Remove ${r.runId}`,
                onclick: () => void removeRun(r.runId),
              },
              '×',
            )
          : null,
      );
    }),
  );
  renderTimeline(now);
}

/** Inline styles through the CSSOM: the page's CSP (nonce-only) refuses style attributes. */
function styled<E extends HTMLElement>(el: E, style: Partial<CSSStyleDeclaration>): E {
  Object.assign(el.style, style);
  return el;
}

// ---- phase timeline: per epoch, its seconds per phase as one bar (bars share a scale), the live epoch last
const timeline = h('section', { class: 'timeline', 'aria-label': 'Phase timeline' });
function renderTimeline(now: number): void {
  const colours = palette();
  const colour = (p: Phase) => colours[TIMELINE_PHASES.indexOf(p) % colours.length]!;
  const perRun = runs.map((r) => ({ r, rows: timelineRows(r, now) })).filter((x) => x.rows.length);
  timeline.hidden = perRun.length === 0;
  // One scale for all bars: the longest finished epoch (a live epoch that has run longer fills its row).
  const finished = perRun.flatMap((x) => x.rows.filter((row) => !row.live).map((row) => row.total));
  const longest = Math.max(
    1e-9,
    ...(finished.length ? finished : perRun.flatMap((x) => x.rows.map((row) => row.total))),
  );
  timeline.replaceChildren(
    h(
      'header',
      {},
      h('h3', {}, 'Phase timeline'),
      h(
        'span',
        { class: 'tl-legend' },
        ...TIMELINE_PHASES.slice(0, 4).map((p) => h('span', {}, styled(h('i'), { background: colour(p) }), p)),
      ),
    ),
    ...perRun.flatMap(({ r, rows }) => [
      ...(runs.length > 1 ? [h('div', { class: 'tl-run' }, r.runId)] : []),
      ...rows.map((row) =>
        h(
          'div',
          { class: `tl-row${row.live ? ' live' : ''}`, 'data-epoch': String(row.epoch) },
          h('span', { class: 'tl-label' }, `epoch ${row.epoch}${row.live ? ' …' : ''}`),
          styled(
            h(
              'span',
              { class: 'tl-bar' },
              ...row.segments.map((seg) =>
                styled(
                  h('span', {
                    class: 'tl-seg',
                    'data-phase': seg.phase,
                    title: `${seg.phase}: ${seg.seconds.toFixed(1)} s`,
                  }),
                  { flexGrow: String(seg.seconds), background: colour(seg.phase) },
                ),
              ),
            ),
            { width: `${Math.min(100, (100 * row.total) / longest).toFixed(2)}%` },
          ),
          h('span', { class: 'tl-total muted' }, formatElapsed(Math.round(row.total))),
        ),
      ),
    ]),
  );
}
// The ETA and the live bar move with the clock, not only with the trainer's events.
setInterval(() => runs.some((r) => r.live) && renderRuns(), 5000);
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
  const list = drawn.map((d) => ({ c: d.spec, u: d.u }));
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
  h('label', { class: 'ctl' }, h('span', {}, 'X axis'), xAxisSelect),
  h('span', { class: 'spacer' }),
  h(
    'vscode-button',
    {
      secondary: true,
      onclick: () =>
        void request<Extract<CurvesRequest, { type: 'exportCsv' }>>({ type: 'exportCsv', csv: toCsv(runs) }).done.catch(
          () => undefined,
        ),
    },
    'Export CSV',
  ),
  h(
    'vscode-button',
    {
      secondary: true,
      onclick: () =>
        void request<Extract<CurvesRequest, { type: 'exportPng' }>>({ type: 'exportPng', png: chartsPng() }).done.catch(
          () => undefined,
        ),
    },
    'Export PNG',
  ),
);
const empty = h(
  'p',
  { class: 'muted empty', hidden: true },
  'Nothing trained yet: the curves appear with the first training steps.',
);
const quality = h('section', { class: 'quality' });
/** "What training bought" per run: the quality report's rows, or why there is none. */
function renderQuality(): void {
  const f = (v: number) => v.toFixed(3);
  quality.replaceChildren(
    h('h2', {}, 'What training bought'),
    ...runs.map((r) => {
      const before =
        r.initialNmi !== undefined && r.metrics.length
          ? ` · NMI vs labels ${f(r.initialNmi)} before training → ${r.metrics[r.metrics.length - 1]!.nmiLabels?.toFixed(3) ?? '–'} now`
          : '';
      if (!r.quality) {
        const why = r.metrics.some((m) => m.nmiLabels !== undefined)
          ? 'measured when training ends (or run deepcluster eval on a checkpoint)'
          : 'needs labels: without them NMI(t, t−1), cluster sizes and the objective are what can be shown';
        return h('p', { class: 'muted' }, `${r.runId}: ${why}${before}`);
      }
      const q = r.quality;
      return h(
        'div',
        {},
        h(
          'p',
          { class: 'muted' },
          `${r.runId}: ${q.classes} classes, ${q.trainImages} training / ${q.heldOut} held-out images (${q.split})${before}`,
        ),
        h(
          'table',
          { class: 'quality-table' },
          h('tr', {}, ...['features', 'kNN-20', 'k-means NMI (5 seeds)', 'linear probe'].map((t) => h('th', {}, t))),
          ...q.rows.map((row) =>
            h(
              'tr',
              {},
              h('th', {}, row.features),
              h('td', {}, f(row.knn20)),
              h('td', {}, `${f(row.kmeansNmi)} ± ${f(row.kmeansNmiStd)}`),
              h('td', {}, f(row.linearProbe)),
            ),
          ),
        ),
      );
    }),
  );
}
document.body.append(h('main', { class: 'curves-panel' }, toolbar, empty, grid, timeline, quality));

onPush((m) => {
  if (m.type !== 'runSeries') return;
  const i = runs.findIndex((r) => r.runDir === m.run.runDir);
  if (i < 0) return;
  runs = runs.map((r, j) => (j === i ? m.run : r));
  renderRuns();
  renderQuality();
  refreshData();
});
onThemeChange(() => {
  buildCharts();
  renderTimeline(Date.now() / 1000);
});
let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    const w = chartWidth();
    for (const d of drawn) if (d.u.width !== w) d.u.setSize({ width: w, height: 210 });
  });
}).observe(grid);

renderRuns();
renderQuality();
buildCharts();
persist();
ready();
