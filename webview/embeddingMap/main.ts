// Embedding map panel (the Projector beside the clusters): every image of a checkpoint as a point of its 2-D
// layout, coloured by cluster or label; wheel zooms, drag pans, shift-drag selects a box; hovering shows the
// image; zoomed in far enough, the thumbnails themselves are drawn. The selection lists its images and exports
// them as CSV through the host. The layout is computed by the trainer on request (progress, cancel).
import '../shared/base.css';
import './style.css';
import type { MapMethod } from '../../src/protocol/embeddingMap';
import {
  MAP_BATCH,
  type MapColour,
  type MapData,
  type MapInit,
  type MapRequest,
  type MapUiState,
} from '../../src/protocol/webview';
import { h } from '../shared/dom';
import { initialState, onPush, ready, request, savedState, saveState } from '../shared/host';
import { cssVar, onThemeChange, palette, themeKind } from '../shared/theme';
import { idColour, packColour, PointIndex, rasterize, toData, toScreen, zoomAt, type View } from './scatter';

interface Saved {
  runDir: string;
  epoch: number;
  ui: MapUiState;
}

/** At most this many points in view: their thumbnails are drawn instead of dots. */
const THUMBS_IN_VIEW = 250;
const THUMB_PX = 40;
const LIST_MAX = 100;

const init = initialState<MapInit>();
const saved = savedState<Saved>();
const state = {
  epoch: saved?.epoch ?? init.epoch,
  checkpoints: init.checkpoints,
  ui: { colour: 'cluster', method: 'umap', ...init.ui, ...saved?.ui } as MapUiState,
  map: undefined as MapData | undefined,
  selection: [] as number[],
};
let pts:
  | { x: Float32Array; y: Float32Array; index: PointIndex; colours: Uint32Array; selected: Uint8Array }
  | undefined;
let view: View = state.ui.view ?? { cx: 0, cy: 0, scale: 300 };
const thumbsMade = new Set<number>();
const thumbsAsked = new Set<number>();
const images = new Map<number, HTMLImageElement>();
let computing: number | undefined;

function persist(): void {
  saveState({ runDir: init.runDir, epoch: state.epoch, ui: { ...state.ui, view } } satisfies Saved);
}

// ---- toolbar
const option = (v: string, t: string, sel: boolean) => h('option', { value: v, selected: sel }, t);
const epochSel = h(
  'select',
  { 'aria-label': 'Checkpoint' },
  ...state.checkpoints.map((e) => option(String(e), `epoch ${e}`, e === state.epoch)),
) as HTMLSelectElement;
epochSel.addEventListener('change', () => void load(Number(epochSel.value), state.ui.method));
const methodSel = h(
  'select',
  { 'aria-label': 'Layout' },
  option('umap', 'UMAP', state.ui.method === 'umap'),
  option('pca', 'PCA', state.ui.method === 'pca'),
) as HTMLSelectElement;
methodSel.addEventListener('change', () => void load(state.epoch, methodSel.value as MapMethod));
const colourSel = h(
  'select',
  { 'aria-label': 'Colour by', class: 'colour' },
  option('cluster', 'cluster', state.ui.colour === 'cluster'),
  option('label', 'label', state.ui.colour === 'label'),
) as HTMLSelectElement;
colourSel.addEventListener('change', () => {
  state.ui.colour = colourSel.value as MapColour;
  recolour();
  persist();
});
const computeBtn = h('button', { class: 'compute', onclick: () => void compute() }, 'Compute map');
const cancelBtn = h(
  'button',
  {
    class: 'cancel',
    hidden: true,
    onclick: () => computing !== undefined && request<MapRequest>({ type: 'cancel', target: computing }),
  },
  'Cancel',
);
const progress = h('progress', { class: 'progress', hidden: true, max: 1, value: 0 }) as HTMLProgressElement;
const status = h('span', { class: 'status muted' });
const caption = h('span', { class: 'caption muted' });
const legend = h('div', { class: 'legend' });
const toolbar = h(
  'div',
  { class: 'toolbar' },
  h('strong', { class: 'title' }, 'Embedding map'),
  h('label', { class: 'ctl' }, h('span', {}, 'Checkpoint'), epochSel),
  h('label', { class: 'ctl' }, h('span', {}, 'Layout'), methodSel),
  h('label', { class: 'ctl' }, h('span', {}, 'Colour by'), colourSel),
  computeBtn,
  cancelBtn,
  progress,
  status,
  h('span', { class: 'spacer' }),
  caption,
);

// ---- canvas, overlay (thumbnails, box), tooltip, selection list
const canvas = h('canvas', {
  class: 'points',
  tabindex: '0',
  'aria-label': 'Embedding map: wheel to zoom, drag to pan, shift-drag to select',
}) as HTMLCanvasElement;
const overlay = h('canvas', { class: 'overlay' }) as HTMLCanvasElement;
const boxEl = h('div', { class: 'box', hidden: true });
const tipImg = h('img', { alt: '' }) as HTMLImageElement;
const tipText = h('div', { class: 'tip-text' });
const tip = h('div', { class: 'tip', hidden: true }, tipImg, tipText);
const empty = h('div', { class: 'empty', hidden: true });
const stage = h('div', { class: 'stage' }, canvas, overlay, boxEl, tip, empty);
const selCount = h('div', { class: 'sel-count' }, 'No selection');
const exportBtn = h('button', { disabled: true, onclick: () => void exportSelection() }, 'Export CSV');
const clearBtn = h('button', { disabled: true, onclick: () => select([]) }, 'Clear');
const selList = h('ul', { class: 'sel-list' });
const moveTo = h('input', {
  class: 'move-to',
  placeholder: 'cluster #',
  'aria-label': 'Move the selection to cluster',
  disabled: true,
}) as HTMLInputElement;
const moveBtn = h('button', { class: 'move-btn', disabled: true, onclick: () => void moveSelection() }, 'Move to');
const side = h(
  'aside',
  { class: 'side' },
  h(
    'div',
    { class: 'side-head' },
    selCount,
    h('div', { class: 'row' }, exportBtn, clearBtn),
    h('div', { class: 'row' }, moveBtn, moveTo),
  ),
  h('div', { class: 'muted hint' }, 'Shift-drag to select a box. Esc clears.'),
  selList,
);
document.body.append(h('div', { class: 'map-panel' }, toolbar, legend, h('div', { class: 'body' }, stage, side)));

const ctx = canvas.getContext('2d')!;
const octx = overlay.getContext('2d')!;
const probe = (h('canvas', { width: 1, height: 1 }) as HTMLCanvasElement).getContext('2d', {
  willReadFrequently: true,
})!;
let image: ImageData | undefined;
let dpr = 1;
let cssW = 0;
let cssH = 0;

function resize(): void {
  dpr = window.devicePixelRatio || 1;
  const r = stage.getBoundingClientRect();
  cssW = Math.max(1, Math.floor(r.width));
  cssH = Math.max(1, Math.floor(r.height));
  for (const c of [canvas, overlay]) {
    c.width = Math.floor(cssW * dpr);
    c.height = Math.floor(cssH * dpr);
    c.style.width = `${cssW}px`;
    c.style.height = `${cssH}px`;
  }
  image = ctx.createImageData(canvas.width, canvas.height);
  schedule();
}

// ---- colours
function colourOf(i: number, labels: number[] | undefined, classes: number): string {
  const light = themeKind() === 'light' || themeKind() === 'high-contrast-light';
  if (state.ui.colour === 'label' && labels) {
    const l = labels[i]!;
    const p = palette();
    return classes <= p.length ? p[l % p.length]! : idColour(l, light);
  }
  return idColour(state.map!.clusters[i]!, light);
}

function recolour(): void {
  if (!pts || !state.map) return;
  const labels = state.map.labels;
  const classes = init.classNames?.length ?? (labels ? Math.max(...labels.slice(0, 5000)) + 1 : 0);
  const cache = new Map<string, number>();
  for (let i = 0; i < pts.colours.length; i++) {
    const css = colourOf(i, labels, classes);
    let c = cache.get(css);
    if (c === undefined) cache.set(css, (c = packColour(probe, css)));
    pts.colours[i] = c;
  }
  legend.replaceChildren();
  if (state.ui.colour === 'label' && labels) {
    const seen = [...new Set(labels)].sort((a, b) => a - b).slice(0, 40);
    for (const l of seen) {
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      const sw = h('span', { class: 'sw' });
      sw.style.background = colourOf(labels.indexOf(l), labels, classes);
      legend.append(h('span', { class: 'lg' }, sw, init.classNames?.[l] ?? String(l)));
    }
  }
  colourSel.disabled = !labels;
  schedule();
}

// ---- drawing
let frame = 0;
/** Background and highlight as packed pixels; read from the theme once, again when it changes. */
let themeColours: { bg: number; hl: number } | undefined;
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(draw);
}

function draw(): void {
  frame = 0;
  if (!image) return;
  octx.clearRect(0, 0, overlay.width, overlay.height);
  if (!pts) {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    return;
  }
  themeColours ??= {
    bg: packColour(probe, cssVar('--vscode-editor-background', '#1e1e1e')),
    hl: packColour(probe, cssVar('--vscode-editor-foreground', '#ffffff')),
  };
  const drawn = rasterize(
    image,
    view,
    dpr,
    pts.x,
    pts.y,
    pts.colours,
    themeColours.bg,
    state.selection.length ? pts.selected : undefined,
    themeColours.hl,
  );
  ctx.putImageData(image, 0, 0);
  canvas.dataset.drawn = String(drawn);
  drawThumbs();
}

/** The points in view, when there are few enough to show as thumbnails. */
function pointsInView(): number[] | undefined {
  if (!pts) return undefined;
  const [x0, y1] = toData(view, cssW, cssH, 0, 0);
  const [x1, y0] = toData(view, cssW, cssH, cssW, cssH);
  // Stops counting past the limit: zoomed out, this runs every frame over all the points.
  return pts.index.box(x0, x1, y0, y1, THUMBS_IN_VIEW);
}

function drawThumbs(): void {
  const inView = pointsInView();
  overlay.dataset.thumbs = '0';
  if (!inView || !pts) return;
  askThumbs(inView);
  let n = 0;
  const s = THUMB_PX * dpr;
  for (const i of inView) {
    const img = thumbImage(i);
    if (!img?.complete || !img.naturalWidth) continue;
    const [sx, sy] = toScreen(view, cssW, cssH, pts.x[i]!, pts.y[i]!);
    octx.drawImage(img, sx * dpr - s / 2, sy * dpr - s / 2, s, s);
    if (pts.selected[i]) {
      octx.strokeStyle = cssVar('--vscode-focusBorder', '#007fd4');
      octx.lineWidth = 2 * dpr;
      octx.strokeRect(sx * dpr - s / 2, sy * dpr - s / 2, s, s);
    }
    n++;
  }
  overlay.dataset.thumbs = String(n);
}

function thumbImage(i: number): HTMLImageElement | undefined {
  if (!thumbsMade.has(i)) return undefined;
  let img = images.get(i);
  if (!img) {
    img = new Image();
    img.onload = schedule;
    img.src = `${init.thumbBase}/${i}.png`;
    images.set(i, img);
  }
  return img;
}

/** Asks the host to make the thumbnails of these images (once each), then redraws. */
function askThumbs(indices: number[]): Promise<void> {
  const need = indices.filter((i) => !thumbsAsked.has(i));
  if (!need.length) return Promise.resolve();
  for (const i of need) thumbsAsked.add(i);
  const batches: Promise<void>[] = [];
  for (let s = 0; s < need.length; s += MAP_BATCH) {
    const part = need.slice(s, s + MAP_BATCH);
    batches.push(
      request<MapRequest>({ type: 'thumbs', epoch: state.epoch, indices: part }).done.then(
        () => {
          for (const i of part) thumbsMade.add(i);
          schedule();
        },
        () => part.forEach((i) => thumbsAsked.delete(i)),
      ),
    );
  }
  return Promise.all(batches).then(() => undefined);
}

// ---- data
function show(map: MapData | undefined): void {
  state.map = map;
  state.selection = [];
  renderSelection();
  if (!map) {
    pts = undefined;
    empty.hidden = false;
    empty.textContent = `No ${state.ui.method.toUpperCase()} map of epoch ${state.epoch} yet: Compute map lays out every image (a minute or two for tens of thousands).`;
    caption.textContent = '';
    computeBtn.hidden = false;
    schedule();
    return;
  }
  empty.hidden = true;
  computeBtn.hidden = true;
  const x = Float32Array.from(map.x);
  const y = Float32Array.from(map.y);
  pts = { x, y, index: new PointIndex(x, y), colours: new Uint32Array(x.length), selected: new Uint8Array(x.length) };
  caption.textContent = `${x.length.toLocaleString('en')} images · ${map.caption}`;
  recolour();
}

async function load(epoch: number, method: MapMethod): Promise<void> {
  state.epoch = epoch;
  state.ui.method = method;
  persist();
  status.textContent = 'loading…';
  try {
    const r = await request<MapRequest>({ type: 'load', epoch, method }).done;
    show((r as { map?: MapData }).map);
    status.textContent = '';
  } catch (e) {
    status.textContent = (e as Error).message;
  }
}

async function compute(): Promise<void> {
  computeBtn.disabled = true;
  cancelBtn.hidden = false;
  progress.hidden = false;
  progress.value = 0;
  const r = request<MapRequest>(
    { type: 'compute', epoch: state.epoch, method: state.ui.method },
    (done, total, message) => {
      progress.value = total ? done / total : 0;
      status.textContent = `${message ?? 'computing'} ${done}/${total}`;
    },
  );
  computing = r.id;
  try {
    show(((await r.done) as { map: MapData }).map);
    status.textContent = '';
  } catch (e) {
    status.textContent = (e as Error).message === 'cancelled' ? 'cancelled' : `failed: ${(e as Error).message}`;
  } finally {
    computing = undefined;
    computeBtn.disabled = false;
    cancelBtn.hidden = true;
    progress.hidden = true;
  }
}

// ---- selection
function select(indices: number[]): void {
  state.selection = indices;
  if (pts) {
    pts.selected.fill(0);
    for (const i of indices) pts.selected[i] = 1;
  }
  renderSelection();
  schedule();
}

function renderSelection(): void {
  const n = state.selection.length;
  selCount.textContent = n ? `${n.toLocaleString('en')} selected` : 'No selection';
  exportBtn.disabled = clearBtn.disabled = moveBtn.disabled = moveTo.disabled = n === 0;
  selList.replaceChildren();
  const shown = state.selection.slice(0, LIST_MAX);
  if (!shown.length || !state.map) return;
  const items = shown.map((i) => {
    const img = h('img', { alt: '', width: 32, height: 32 }) as HTMLImageElement;
    const name = h('span', { class: 'name muted' });
    const label = state.map!.labels ? ` · ${init.classNames?.[state.map!.labels[i]!] ?? state.map!.labels[i]}` : '';
    selList.append(
      h(
        'li',
        { class: 'sel-item', 'data-index': String(i) },
        img,
        h('div', {}, h('div', {}, `#${i} · cluster ${state.map!.clusters[i]}${label}`), name),
      ),
    );
    return { i, img, name };
  });
  if (n > LIST_MAX)
    selList.append(h('li', { class: 'muted more' }, `… and ${n - LIST_MAX} more (all of them are exported)`));
  void askThumbs(shown).then(() =>
    items.forEach((it) => thumbsMade.has(it.i) && (it.img.src = `${init.thumbBase}/${it.i}.png`)),
  );
  void request<MapRequest>({ type: 'names', indices: shown }).done.then(
    (r) => {
      const names = (r as { names: string[] }).names;
      items.forEach((it, k) => {
        it.name.textContent = names[k]!.split(/[\\/]/).pop()!;
        it.name.title = names[k]!;
      });
    },
    () => undefined,
  );
}

/** Moves the selected images to another cluster (curation.json); the map shows them in that cluster's colour. */
async function moveSelection(): Promise<void> {
  const v = moveTo.value.trim().replace(/^#/, '');
  if (!/^\d+$/.test(v) || !state.map) return void (status.textContent = 'a cluster id, e.g. 12');
  const cluster = Number(v);
  const indices = state.selection.slice();
  try {
    await request<MapRequest>({ type: 'curate', epoch: state.epoch, edit: { action: 'move', indices, cluster } }).done;
    for (const i of indices) state.map.clusters[i] = cluster;
    status.textContent = `moved ${indices.length} image(s) to cluster ${cluster}`;
    recolour();
    renderSelection();
  } catch (e) {
    status.textContent = (e as Error).message;
  }
}

async function exportSelection(): Promise<void> {
  if (!state.selection.length) return;
  const r = await request<MapRequest>({
    type: 'exportSelection',
    epoch: state.epoch,
    indices: state.selection,
  }).done.catch((e: Error) => ({ error: e.message }));
  status.textContent = 'written' in r && r.written ? `exported ${r.rows} rows` : 'error' in r ? r.error : '';
}

// ---- pointer and wheel
let drag: { mode: 'pan' | 'box'; x: number; y: number; view: View } | undefined;
const local = (e: MouseEvent): [number, number] => {
  const r = stage.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
};

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const [sx, sy] = local(e);
    view = zoomAt(view, cssW, cssH, sx, sy, Math.exp(-e.deltaY * 0.0015));
    tip.hidden = true;
    schedule();
    persistSoon();
  },
  { passive: false },
);

canvas.addEventListener('pointerdown', (e) => {
  const [x, y] = local(e);
  drag = { mode: e.shiftKey ? 'box' : 'pan', x, y, view };
  canvas.setPointerCapture(e.pointerId);
  tip.hidden = true;
});

canvas.addEventListener('pointermove', (e) => {
  const [x, y] = local(e);
  if (drag?.mode === 'pan') {
    view = { ...drag.view, cx: drag.view.cx - (x - drag.x) / view.scale, cy: drag.view.cy + (y - drag.y) / view.scale };
    schedule();
  } else if (drag?.mode === 'box') {
    Object.assign(boxEl.style, {
      left: `${Math.min(x, drag.x)}px`,
      top: `${Math.min(y, drag.y)}px`,
      width: `${Math.abs(x - drag.x)}px`,
      height: `${Math.abs(y - drag.y)}px`,
    });
    boxEl.hidden = false;
  } else hover(x, y);
});

canvas.addEventListener('pointerup', (e) => {
  const d = drag;
  drag = undefined;
  if (!d) return;
  const [x, y] = local(e);
  if (d.mode === 'box') {
    boxEl.hidden = true;
    if (pts && Math.abs(x - d.x) + Math.abs(y - d.y) > 3) {
      const [ax, ay] = toData(view, cssW, cssH, Math.min(x, d.x), Math.max(y, d.y));
      const [bx, by] = toData(view, cssW, cssH, Math.max(x, d.x), Math.min(y, d.y));
      select(pts.index.box(ax, bx, ay, by));
    }
  }
  persistSoon();
});

canvas.addEventListener('pointerleave', () => (tip.hidden = true));
canvas.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') select([]);
});

function hover(x: number, y: number): void {
  if (!pts || !state.map) return;
  const [dx, dy] = toData(view, cssW, cssH, x, y);
  const i = pts.index.nearest(dx, dy, 8 / view.scale);
  if (i < 0) {
    tip.hidden = true;
    return;
  }
  const label = state.map.labels ? ` · ${init.classNames?.[state.map.labels[i]!] ?? state.map.labels[i]}` : '';
  tipText.textContent = `#${i} · cluster ${state.map.clusters[i]}${label}`;
  tip.dataset.index = String(i);
  tipImg.removeAttribute('src');
  void askThumbs([i]).then(() => {
    if (tip.dataset.index === String(i) && thumbsMade.has(i)) tipImg.src = `${init.thumbBase}/${i}.png`;
  });
  Object.assign(tip.style, { left: `${Math.min(x + 14, cssW - 150)}px`, top: `${Math.min(y + 14, cssH - 120)}px` });
  tip.hidden = false;
}

let persistTimer: ReturnType<typeof setTimeout> | undefined;
function persistSoon(): void {
  clearTimeout(persistTimer);
  persistTimer = setTimeout(persist, 200);
}

onPush((m) => {
  if (m.type !== 'checkpoints') return;
  state.checkpoints = m.checkpoints;
  epochSel.replaceChildren(...state.checkpoints.map((e) => option(String(e), `epoch ${e}`, e === state.epoch)));
});
onThemeChange(() => {
  themeColours = undefined;
  recolour();
});
new ResizeObserver(resize).observe(stage);
resize();
// First paint from the embedded state when it matches; a saved epoch or method other than that is loaded.
if (state.epoch === init.epoch && state.ui.method === (init.ui?.method ?? 'umap')) show(init.map);
else void load(state.epoch, state.ui.method);
if (!state.ui.view) view = { cx: 0, cy: 0, scale: (Math.min(cssW, cssH) / 2) * 0.92 };
persist();
ready();
