// Filter visualisation panel: pick a checkpoint and a conv layer, and see each filter's gradient-ascent image
// (the official visu procedure, computed by the trainer) beside its top-9 dataset images. Computation runs on
// demand with progress and cancel; results are cached in the run folder by the trainer, so they come back at once.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '../shared/base.css';
import './style.css';
import type { ConvLayer, FilterResult, FiltersInit, FiltersRequest, FiltersUiState } from '../../src/protocol/webview';
import { fmt, h } from '../shared/dom';
import { initialState, onPush, ready, request, savedState, saveState } from '../shared/host';

const init = initialState<FiltersInit>();
const saved = savedState<{ runDir: string; ui: FiltersUiState }>();
const ui: FiltersUiState = { epoch: init.epoch, from: 0, to: 15, ...init.ui, ...saved?.ui };
let layers: ConvLayer[] = init.layers;
let checkpoints = init.checkpoints;
let running: number | undefined;

function persist(): void {
  saveState({ runDir: init.runDir, ui });
}

const value = (el: HTMLElement) => (el as unknown as { value: string }).value;
function options(sel: HTMLElement, opts: [string, string][], selected: string): void {
  sel.replaceChildren(...opts.map(([v, t]) => h('vscode-option', { value: v, selected: v === selected }, t)));
  (sel as unknown as { value: string }).value = selected;
}

const ckptSel = h('vscode-single-select', { 'aria-label': 'Checkpoint', class: 'sel' });
const layerSel = h('vscode-single-select', { 'aria-label': 'Conv layer', class: 'sel' });
const fromField = h('vscode-textfield', {
  type: 'number',
  min: '0',
  value: String(ui.from),
  'aria-label': 'First filter',
  class: 'num',
});
const toField = h('vscode-textfield', {
  type: 'number',
  min: '0',
  value: String(ui.to),
  'aria-label': 'Last filter',
  class: 'num',
});
const runBtn = h('vscode-button', { onclick: () => void visualize() }, 'Visualize');
const cancelBtn = h('vscode-button', { secondary: true, hidden: true, onclick: () => cancel() }, 'Cancel');
const bar = h('vscode-progress-bar', {});
const status = h('span', { class: 'muted status', role: 'status' });
const progress = h('div', { class: 'progress', hidden: true }, bar, status);
const grid = h('div', { class: 'filters', role: 'list', 'aria-label': 'Filters' });

function renderSelects(): void {
  options(
    ckptSel,
    checkpoints.map((e): [string, string] => [String(e), `epoch ${e}`]),
    String(ui.epoch),
  );
  options(
    layerSel,
    layers.map((l): [string, string] => [l.name, `${l.name} (${l.filters} filters)`]),
    ui.layer ?? '',
  );
}

ckptSel.addEventListener('change', async () => {
  ui.epoch = Number(value(ckptSel));
  layers = (await request<Extract<FiltersRequest, { type: 'layers' }>>({ type: 'layers', epoch: ui.epoch }).done)
    .layers;
  if (!layers.some((l) => l.name === ui.layer)) ui.layer = layers[0]?.name;
  renderSelects();
  persist();
  grid.replaceChildren();
});
layerSel.addEventListener('change', () => {
  ui.layer = value(layerSel);
  persist();
  grid.replaceChildren();
});
const readRange = () => {
  ui.from = Math.max(0, Math.floor(Number(value(fromField)) || 0));
  ui.to = Math.max(ui.from, Math.floor(Number(value(toField)) || 0));
  persist();
};
fromField.addEventListener('change', readRange);
toField.addEventListener('change', readRange);

function filterCard(r: FilterResult): HTMLElement {
  const tops = h(
    'div',
    { class: 'top9' },
    ...Array.from({ length: 9 }, (_, i) => {
      const src = r.top[i];
      return src
        ? h('img', {
            class: 'thumb',
            src,
            alt: `top image ${i + 1}`,
            title: r.activations?.[i] !== undefined ? `activation ${fmt(r.activations[i])}` : '',
          })
        : h('div', { class: 'thumb empty' });
    }),
  );
  return h(
    'figure',
    { class: 'filter', role: 'listitem', tabindex: '0', 'aria-label': `${ui.layer} filter ${r.filter}` },
    h('figcaption', {}, `#${r.filter}`),
    h(
      'div',
      { class: 'pair' },
      r.image
        ? h('img', { class: 'ascent', src: r.image, alt: `gradient-ascent image of filter ${r.filter}` })
        : h('div', { class: 'ascent empty' }),
      tops,
    ),
  );
}

function show(results: FilterResult[]): void {
  grid.replaceChildren(...results.map(filterCard));
  if (results.length === 0)
    grid.append(h('p', { class: 'muted' }, 'Nothing computed yet for these filters: press Visualize.'));
}

async function visualize(): Promise<void> {
  readRange();
  if (!ui.layer || running !== undefined) return;
  progress.hidden = false;
  cancelBtn.hidden = false;
  (runBtn as unknown as { disabled: boolean }).disabled = true;
  status.textContent = 'Starting the trainer…';
  (bar as unknown as { indeterminate: boolean }).indeterminate = true;
  const r = request<Extract<FiltersRequest, { type: 'visualize' }>>(
    { type: 'visualize', epoch: ui.epoch, layer: ui.layer, from: ui.from, to: ui.to },
    (done, total, message) => {
      (bar as unknown as { indeterminate: boolean }).indeterminate = false;
      (bar as unknown as { value: number }).value = total ? (100 * done) / total : 0;
      status.textContent = `${message ?? ''} ${done}/${total}`.trim();
    },
  );
  running = r.id;
  try {
    const out = await r.done;
    show(out.results);
    status.textContent = out.cached ? 'From the cache' : `Computed ${out.results.length} filters`;
  } catch (e) {
    status.textContent = (e as Error).message;
  } finally {
    running = undefined;
    cancelBtn.hidden = true;
    (runBtn as unknown as { disabled: boolean }).disabled = false;
    setTimeout(
      () =>
        (progress.hidden =
          status.textContent?.startsWith('Computed') || status.textContent === 'From the cache'
            ? true
            : progress.hidden),
      1500,
    );
  }
}

function cancel(): void {
  if (running !== undefined)
    void request<Extract<FiltersRequest, { type: 'cancel' }>>({ type: 'cancel', target: running }).done;
}

// Arrow keys move between filter cards (row-wise order is the DOM order).
grid.addEventListener('keydown', (e) => {
  const cards = [...grid.querySelectorAll<HTMLElement>('.filter')];
  const i = cards.indexOf(document.activeElement as HTMLElement);
  if (i < 0) return;
  const perRow = Math.max(1, Math.round(grid.clientWidth / (cards[0]!.offsetWidth + 10)));
  const d = ({ ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow } as Record<string, number>)[e.key];
  if (d === undefined) return;
  e.preventDefault();
  cards[Math.max(0, Math.min(cards.length - 1, i + d))]!.focus();
});

onPush((m) => {
  if (m.type === 'checkpoints') {
    checkpoints = m.checkpoints;
    renderSelects();
  }
});

document.body.append(
  h(
    'main',
    { class: 'filters-panel' },
    h(
      'header',
      { class: 'toolbar', role: 'toolbar' },
      h('strong', { class: 'title' }, init.runId),
      h('label', { class: 'ctl' }, h('span', {}, 'Checkpoint'), ckptSel),
      h('label', { class: 'ctl' }, h('span', {}, 'Layer'), layerSel),
      h('label', { class: 'ctl' }, h('span', {}, 'Filters'), fromField, h('span', {}, 'to'), toField),
      runBtn,
      cancelBtn,
    ),
    progress,
    grid,
  ),
);
renderSelects();
show(init.cached);
persist();
ready();
