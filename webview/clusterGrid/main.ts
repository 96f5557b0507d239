// Cluster grid panel: every cluster of a checkpoint as a card, virtualised, with sort/filter/search, a detail
// view per cluster, export, an epoch slider, and thumbnails served as files (asWebviewUri) by the host.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '../shared/base.css';
import './style.css';
import type { ClusterCard, GridInit, GridRequest, GridUiState } from '../../src/protocol/webview';
import { h } from '../shared/dom';
import { initialState, onPush, ready, request, savedState, saveState } from '../shared/host';
import { CARD_H, CARD_W, classColour, createCard, fillCard } from './card';
import { ClusterDetail } from './detail';
import { VirtualGrid } from './virtualGrid';
import { DEFAULT_UI, visibleClusters } from './visible';

interface Saved {
  runDir: string;
  epoch: number;
  ui: GridUiState;
}

const init = initialState<GridInit>();
const saved = savedState<Saved>();
const state = {
  epoch: saved?.epoch ?? init.epoch,
  clusters: init.clusters,
  checkpoints: init.checkpoints,
  thumbBase: init.thumbBase,
  ui: { ...DEFAULT_UI, ...init.ui, ...saved?.ui } as GridUiState,
};
let shown: ClusterCard[] = [];

function persist(): void {
  saveState({ runDir: init.runDir, epoch: state.epoch, ui: state.ui } satisfies Saved);
}

// ---- toolbar
const select = (label: string, value: string, options: [string, string][], onChange: (v: string) => void) => {
  const s = h(
    'vscode-single-select',
    { 'aria-label': label, class: 'sel' },
    ...options.map(([v, t]) => h('vscode-option', { value: v, selected: v === value }, t)),
  );
  s.addEventListener('change', () => onChange((s as unknown as { value: string }).value));
  return h('label', { class: 'ctl' }, h('span', {}, label), s);
};
const epochSlider = h('input', {
  type: 'range',
  min: '0',
  step: '1',
  class: 'epoch',
  'aria-label': 'Checkpoint epoch',
}) as HTMLInputElement;
const epochLabel = h('span', { class: 'epoch-label' });
function syncEpochSlider(): void {
  epochSlider.max = String(Math.max(0, state.checkpoints.length - 1));
  epochSlider.value = String(Math.max(0, state.checkpoints.indexOf(state.epoch)));
  epochSlider.disabled = state.checkpoints.length < 2;
  epochLabel.textContent = `epoch ${state.epoch}`;
}
epochSlider.addEventListener(
  'input',
  () => (epochLabel.textContent = `epoch ${state.checkpoints[Number(epochSlider.value)]}`),
);
epochSlider.addEventListener('change', () => void loadEpoch(state.checkpoints[Number(epochSlider.value)]!));

const labelled = !!init.classNames || state.clusters.some((c) => c.hist);
const search = h('vscode-textfield', {
  placeholder: 'Search: #id or label',
  'aria-label': 'Search clusters',
  value: state.ui.search,
  class: 'search',
});
search.addEventListener('input', () => update({ search: (search as unknown as { value: string }).value }));
const minSize = h('vscode-textfield', {
  type: 'number',
  min: '0',
  value: String(state.ui.minSize),
  'aria-label': 'Minimum size',
  class: 'num',
});
minSize.addEventListener('input', () =>
  update({ minSize: Math.max(0, Number((minSize as unknown as { value: string }).value) || 0) }),
);
const count = h('span', { class: 'count', role: 'status' });
const progress = h(
  'div',
  { class: 'progress', hidden: true },
  h('vscode-progress-bar', { indeterminate: true }),
  h('span', { class: 'muted' }),
);
const legend = h(
  'div',
  { class: 'legend' },
  ...(init.classNames ?? []).map((n, i) => h('span', { class: 'lg' }, swatch(i, init.classNames!.length), n)),
);
function swatch(i: number, n: number): HTMLElement {
  const s = h('span', { class: 'sw' });
  s.style.background = classColour(i, n);
  return s;
}

const toolbar = h(
  'header',
  { class: 'toolbar', role: 'toolbar' },
  h('strong', { class: 'title' }, init.runId),
  h('label', { class: 'ctl' }, epochSlider, epochLabel),
  select(
    'Sort',
    state.ui.sort,
    labelled
      ? [
          ['size', 'Size'],
          ['purity', 'Purity'],
          ['id', 'Id'],
        ]
      : [
          ['size', 'Size'],
          ['id', 'Id'],
        ],
    (v) => update({ sort: v as GridUiState['sort'] }),
  ),
  select(
    'Order',
    state.ui.descending ? 'desc' : 'asc',
    [
      ['desc', 'Descending'],
      ['asc', 'Ascending'],
    ],
    (v) => update({ descending: v === 'desc' }),
  ),
  h('label', { class: 'ctl' }, h('span', {}, 'Min size'), minSize),
  labelled
    ? select(
        'Label',
        String(state.ui.label),
        [['-1', 'All labels'], ...(init.classNames ?? []).map((n, i): [string, string] => [String(i), n])],
        (v) => update({ label: Number(v) }),
      )
    : null,
  select(
    'Typical',
    state.ui.view,
    [
      ['nearest', 'Nearest to centroid'],
      ['activation', 'Top-layer activation'],
    ],
    (v) => {
      update({ view: v as GridUiState['view'] });
      if (v === 'activation' && !state.clusters.some((c) => c.activation)) ensureThumbs(true);
    },
  ),
  search,
  h(
    'vscode-button',
    {
      secondary: true,
      onclick: () =>
        exportClusters(
          shown.map((c) => c.id),
          'csv',
        ),
      title: 'Export the clusters shown as CSV of file paths',
    },
    'Export CSV',
  ),
  h(
    'vscode-button',
    {
      secondary: true,
      onclick: () =>
        exportClusters(
          shown.map((c) => c.id),
          'json',
        ),
      title: 'Export the clusters shown as JSON',
    },
    'Export JSON',
  ),
  h(
    'vscode-button',
    {
      secondary: true,
      class: 'export-curated',
      onclick: () =>
        void request<GridRequest>({ type: 'exportCurated', epoch: state.epoch, format: 'imagefolder' }).done.catch(
          () => undefined,
        ),
      title: 'The clusters with your names, merges and junk marks as a labelled image folder (or CSV)',
    },
    'Export labelled…',
  ),
  h(
    'vscode-button',
    {
      secondary: true,
      class: 'open-map',
      onclick: () => void request<GridRequest>({ type: 'openMap', epoch: state.epoch }).done.catch(() => undefined),
      title: 'Every image of this checkpoint on a 2-D map of its embedding',
    },
    'Map',
  ),
  count,
);

// ---- grid and detail
const viewport = h('div', {
  class: 'viewport',
  role: 'grid',
  tabindex: '0',
  'aria-label': 'Clusters; arrow keys move, Enter opens',
});
const ctx = () => ({ thumbBase: state.thumbBase, view: state.ui.view, classNames: init.classNames });
const grid = new VirtualGrid<ClusterCard>({
  viewport,
  cardWidth: CARD_W,
  cardHeight: CARD_H,
  gap: 8,
  create: createCard,
  render: (el, c, _focused, moving) => fillCard(el, c, ctx(), moving),
  key: (c) => c.id,
  onOpen: (c) => openDetail(c),
});
const detail = new ClusterDetail({
  epoch: () => state.epoch,
  checkpoints: () => state.checkpoints,
  thumbBase: () => state.thumbBase,
  classNames: () => init.classNames,
  goTo: (epoch, cluster) => void loadEpoch(epoch, cluster),
  close: () => {
    detail.hide();
    update({ detail: undefined });
    viewport.focus();
  },
  exportClusters: (ids, format) => exportClusters(ids, format),
  curate: async (edit) => {
    const open = detail.openCluster;
    const data = await request<Extract<GridRequest, { type: 'curate' }>>({ type: 'curate', epoch: state.epoch, edit })
      .done;
    state.clusters = data.clusters;
    refill(true);
    if (open !== undefined && state.clusters[open]) detail.refreshCard(state.clusters[open]);
  },
});
document.body.append(h('main', { class: 'grid-panel' }, toolbar, legend, progress, viewport, detail.el));

function openDetail(c: ClusterCard): void {
  state.ui.detail = c.id;
  persist();
  void detail.open(c);
}

/** Re-renders every visible card (e.g. after the view or the thumbnails changed): drop their cache keys. */
function refill(keepScroll: boolean): void {
  shown = visibleClusters(state.clusters, state.ui, init.classNames);
  count.textContent = `${shown.length} of ${state.clusters.length} clusters`;
  grid.invalidate();
  grid.setItems(shown, keepScroll);
}

function update(patch: Partial<GridUiState>): void {
  Object.assign(state.ui, patch);
  persist();
  if ('detail' in patch && Object.keys(patch).length === 1) return;
  refill(false);
}

async function loadEpoch(epoch: number, openCluster?: number): Promise<void> {
  progress.hidden = false;
  try {
    const data = await request<Extract<GridRequest, { type: 'loadEpoch' }>>({ type: 'loadEpoch', epoch }).done;
    state.epoch = data.epoch;
    state.clusters = data.clusters;
    syncEpochSlider();
    // Thumbnails are per dataset image: another epoch's cards may show images that have none yet.
    ensureThumbs(state.ui.view === 'activation' && !data.clusters.some((c) => c.activation), true);
    persist();
    refill(true);
    const open = openCluster ?? detail.openCluster;
    const c = open !== undefined ? state.clusters[open] : undefined;
    if (c && openCluster !== undefined) openDetail(c);
    else detail.hide();
  } finally {
    progress.hidden = true;
  }
}

function exportClusters(ids: number[], format: 'csv' | 'json'): void {
  if (ids.length === 0) return;
  void request<Extract<GridRequest, { type: 'export' }>>({
    type: 'export',
    epoch: state.epoch,
    clusters: ids,
    format,
  }).done.catch(() => undefined);
}

/** Asks the host for the cards' thumbnails (and the top-layer ranking when `activation`), with progress. */
function ensureThumbs(activation = false, force = false): void {
  if (state.thumbBase && !activation && !force) return;
  progress.hidden = false;
  const text = progress.querySelector('.muted')!;
  const what = activation ? 'Ranking images by top-layer activation' : 'Writing thumbnails';
  text.textContent = `${what}…`;
  const epoch = state.epoch;
  request<Extract<GridRequest, { type: 'thumbs' }>>(
    { type: 'thumbs', epoch, view: activation ? 'activation' : 'nearest' },
    (done, total) => (text.textContent = `${what} ${done}/${total}`),
  )
    .done.then((r) => {
      if (r.epoch && r.epoch.epoch === state.epoch) state.clusters = r.epoch.clusters;
      if (r.thumbBase) state.thumbBase = r.thumbBase;
      refill(true);
    })
    .catch((e: Error) => (text.textContent = `No thumbnails: ${e.message}`))
    .finally(() => setTimeout(() => (progress.hidden = true), 1500));
}

onPush((m) => {
  if (m.type === 'checkpoints') {
    state.checkpoints = m.checkpoints;
    syncEpochSlider();
  } else if (m.type === 'thumbsReady') {
    state.thumbBase = m.thumbBase;
    refill(true);
  }
});

syncEpochSlider();
refill(false);
if (saved?.ui.scrollTop) viewport.scrollTop = saved.ui.scrollTop;
viewport.addEventListener(
  'scroll',
  () => {
    state.ui.scrollTop = viewport.scrollTop;
  },
  { passive: true },
);
window.addEventListener('pagehide', persist);
if (state.epoch !== init.epoch) void loadEpoch(state.epoch, state.ui.detail);
else if (state.ui.detail !== undefined && state.clusters[state.ui.detail]) openDetail(state.clusters[state.ui.detail]!);
viewport.focus();
ready();
ensureThumbs(state.ui.view === 'activation' && !state.clusters.some((c) => c.activation));
