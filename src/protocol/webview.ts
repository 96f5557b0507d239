// Messages between the extension host and the webview panels (cluster grid, filters, curves, embedding map).
// Types and constants only. Every request from a webview carries a `requestId`; the host answers with exactly one
// `response` of the same id (ok with a body, or an error), and may send `progress` for it before that.
// Webviews never name files: they name epochs, clusters, layers and filters, and the host maps those to paths
// inside the run folder it opened the panel for (src/extension/panels/validate.ts checks every field).
import type { MapMethod } from './embeddingMap';
import type { EpochMetrics, Phase, QualityReport } from './events';

export const VIEW_TYPES = {
  clusterGrid: 'deepcluster.clusterGrid',
  filters: 'deepcluster.filters',
  curves: 'deepcluster.curves',
  embeddingMap: 'deepcluster.embeddingMap',
} as const;
export type PanelKind = keyof typeof VIEW_TYPES;

// ---------------------------------------------------------------- cluster grid

export interface ClusterCard {
  id: number;
  size: number;
  /** Share of the members carrying the top label (0..1), when the dataset is labelled. */
  purity?: number;
  topLabel?: number;
  /** Members per label (index = class), when the dataset is labelled. */
  hist?: number[];
  /** Dataset indices of the members nearest the centroid, nearest first (exemplars.json). */
  nearest: number[];
  /** Dataset indices that most activate this cluster's unit of the top layer (analysis output), when present. */
  activation?: number[];
  /** The user's curation (<run>/curation.json): the name of the cluster's group, junk, the cluster it was merged into. */
  name?: string;
  junk?: boolean;
  mergedInto?: number;
}

/** One curation decision, on the clusters of the epoch the grid shows (src/runfolder/curation.ts applies it). */
export type CurationEdit =
  | { action: 'rename'; cluster: number; name: string }
  | { action: 'junk'; cluster: number; junk: boolean }
  | { action: 'merge'; clusters: number[]; into: number }
  | { action: 'move'; indices: number[]; cluster: number };

export interface GridEpoch {
  epoch: number;
  k: number;
  clusters: ClusterCard[];
}

export type GridSort = 'size' | 'purity' | 'id';
export type TypicalView = 'nearest' | 'activation';

/** What the grid remembers across reloads (vscode setState + the serializer). */
export interface GridUiState {
  sort: GridSort;
  descending: boolean;
  minSize: number;
  /** Class index to filter by, or -1 for all. */
  label: number;
  search: string;
  view: TypicalView;
  /** Cluster whose detail is open, if any. */
  detail?: number;
  scrollTop?: number;
}

export interface GridInit extends GridEpoch {
  panel: 'clusterGrid';
  runId: string;
  /** The run folder; saved in the webview state so the serializer can reopen the panel after a reload. */
  runDir: string;
  /** Epochs of the complete checkpoints, oldest first. */
  checkpoints: number[];
  classNames?: string[];
  /** `${thumbBase}/${index}.png` is the webview URL of a dataset image's thumbnail; absent until the cards' exist. */
  thumbBase?: string;
  ui?: Partial<GridUiState>;
}

export interface MemberPage {
  cluster: number;
  total: number;
  offset: number;
  /** Nearest the centroid first; `distance` is absent for members the checkpoint has no distance for. */
  members: { index: number; distance?: number; label?: number }[];
}

/** A cluster followed across checkpoints: at each epoch, the cluster with the largest overlap with its neighbour. */
export interface ClusterTrack {
  steps: {
    epoch: number;
    cluster: number;
    size: number /** |A∩B| / |A∪B| with the step it was matched from */;
    jaccard: number;
  }[];
}

export type GridRequest =
  | { type: 'loadEpoch'; requestId: number; epoch: number }
  | { type: 'members'; requestId: number; epoch: number; cluster: number; offset: number; limit: number }
  | { type: 'follow'; requestId: number; epoch: number; cluster: number }
  | { type: 'export'; requestId: number; epoch: number; clusters: number[]; format: 'csv' | 'json' }
  /** Makes the thumbnails of the cards (and, for `activation`, ranks each cluster's images by its top-layer unit). */
  | { type: 'thumbs'; requestId: number; epoch: number; view: TypicalView }
  /** Opens the embedding map of this checkpoint in its own panel. */
  | { type: 'openMap'; requestId: number; epoch: number }
  /** Records a curation decision in <run>/curation.json; answers with the epoch's cards renamed. */
  | { type: 'curate'; requestId: number; epoch: number; edit: CurationEdit }
  /** Exports the curated clusters (the host asks where, and symlinks or copies) through `deepcluster export`. */
  | { type: 'exportCurated'; requestId: number; epoch: number; format: 'imagefolder' | 'csv' };

export interface GridResponses {
  loadEpoch: GridEpoch;
  members: MemberPage;
  follow: ClusterTrack;
  export: { written?: string; rows: number };
  thumbs: { thumbBase?: string; epoch?: GridEpoch };
  openMap: { opened: boolean };
  curate: GridEpoch;
  exportCurated: { written?: string };
}

// ---------------------------------------------------------------- filter visualisation

export interface ConvLayer {
  name: string;
  filters: number;
}

export interface FilterResult {
  filter: number;
  /** Webview URL of the gradient-ascent image. */
  image?: string;
  /** Webview URLs of the top-9 dataset images, most activating first. */
  top: string[];
  /** Mean activations of the top images, same order. */
  activations?: number[];
}

export interface FiltersUiState {
  epoch: number;
  layer?: string;
  from: number;
  to: number;
}

export interface FiltersInit {
  panel: 'filters';
  runId: string;
  runDir: string;
  checkpoints: number[];
  epoch: number;
  layers: ConvLayer[];
  /** Results already cached for the remembered layer/range (first paint without a round trip). */
  cached: FilterResult[];
  ui?: Partial<FiltersUiState>;
}

export type FiltersRequest =
  | { type: 'layers'; requestId: number; epoch: number }
  | { type: 'visualize'; requestId: number; epoch: number; layer: string; from: number; to: number }
  | { type: 'cancel'; requestId: number; target: number };

export interface FiltersResponses {
  layers: { layers: ConvLayer[] };
  visualize: { results: FilterResult[]; cached: boolean };
  cancel: { cancelled: boolean };
}

// ---------------------------------------------------------------- training curves

export interface RunSeries {
  runId: string;
  runDir: string;
  /** Per epoch, ascending (the last value of an epoch redone after a resume wins). */
  metrics: EpochMetrics[];
  live: boolean;
  /** Where each entry of `metrics` was measured: the global step at its end (null when the run records no
   * steps) and the Unix seconds of its 'epoch' event. Same length as `metrics`. */
  epochAt?: { step: (number | null)[]; time: (number | null)[] };
  /** Step-level scalars ('step' events), column by column, ascending by step; steps redone after a resume
   * replace the earlier ones. */
  steps?: StepColumns;
  /** Unix seconds of the run's first event: the origin of the relative-time axis. */
  startTime?: number;
  /** Epochs the run will reach (its last 'start' event). */
  epochs?: number;
  /** The epoch in progress, from the 'phase' events after the last finished epoch (absent once it ended). */
  current?: CurrentEpoch;
  /** The end-of-training quality report (labelled data only): pixels / untrained / trained network. */
  quality?: QualityReport;
  /** NMI vs labels of the clustering before the first step (v2 runs). */
  initialNmi?: number;
}

export interface CurrentEpoch {
  epoch: number;
  /** Each phase entered so far and when (Unix seconds), in order. */
  phases: { phase: Phase; start: number }[];
  /** Progress within the last phase. */
  done?: number;
  total?: number;
}

export interface StepColumns {
  step: number[];
  epoch: number[];
  /** Unix seconds. */
  time: number[];
  loss: number[];
  lr: number[];
  imagesPerSecond: number[];
  /** Fraction of the epoch's training done (null when the trainer did not say). */
  epochFraction: (number | null)[];
}

/** The curves' x axis: global step, epochs done, time since the run began, wall-clock time. */
export type CurvesXAxis = 'step' | 'epoch' | 'relative' | 'wall';

export interface CurvesUiState {
  smoothing: number;
  xAxis: CurvesXAxis;
  logY: Record<string, boolean>;
  hidden: string[];
}

export interface CurvesInit {
  panel: 'curves';
  runs: RunSeries[];
  ui?: Partial<CurvesUiState>;
}

export type CurvesRequest =
  | { type: 'addRun'; requestId: number }
  | { type: 'removeRun'; requestId: number; runId: string }
  | { type: 'exportCsv'; requestId: number; csv: string }
  | { type: 'exportPng'; requestId: number; png: string };

export interface CurvesResponses {
  addRun: { run?: RunSeries };
  removeRun: { removed: boolean };
  exportCsv: { written?: string };
  exportPng: { written?: string };
}

// ---------------------------------------------------------------- embedding map

/** One checkpoint's map as the panel draws it (from <run>/maps/, src/protocol/embeddingMap.ts). */
export interface MapData {
  epoch: number;
  method: MapMethod;
  x: number[];
  y: number[];
  clusters: number[];
  labels?: number[];
  /** e.g. "UMAP of 512-d features, 15 neighbours, 200 epochs (41 s)". */
  caption: string;
}

export type MapColour = 'cluster' | 'label';

export interface MapUiState {
  colour: MapColour;
  method: MapMethod;
  /** View: data point at the canvas centre and pixels per data unit. */
  view?: { cx: number; cy: number; scale: number };
}

export interface MapInit {
  panel: 'embeddingMap';
  runId: string;
  runDir: string;
  checkpoints: number[];
  epoch: number;
  /** The cached map of `epoch` for ui.method, when the run holds it. */
  map?: MapData;
  classNames?: string[];
  /** `${thumbBase}/${index}.png` is a thumbnail's URL once made. */
  thumbBase: string;
  ui?: Partial<MapUiState>;
}

/** Images a `thumbs` or `names` request may ask for at once. */
export const MAP_BATCH = 500;

export type MapRequest =
  | { type: 'load'; requestId: number; epoch: number; method: MapMethod }
  /** Runs `deepcluster map` (progress; cancel with `cancel`). */
  | { type: 'compute'; requestId: number; epoch: number; method: MapMethod }
  | { type: 'cancel'; requestId: number; target: number }
  /** Makes the thumbnails of these images (the ones in view once zoomed in, or hovered). */
  | { type: 'thumbs'; requestId: number; epoch: number; indices: number[] }
  /** File names of these images (hover and the selection list). */
  | { type: 'names'; requestId: number; indices: number[] }
  /** Saves the selected images as CSV (index, path, cluster, label). */
  | { type: 'exportSelection'; requestId: number; epoch: number; indices: number[] }
  /** A curation decision from the map (moving the selected images to a cluster), kept in curation.json. */
  | { type: 'curate'; requestId: number; epoch: number; edit: CurationEdit };

export interface MapResponses {
  load: { map?: MapData };
  compute: { map: MapData };
  cancel: { cancelled: boolean };
  thumbs: { made: number };
  names: { names: string[] };
  exportSelection: { written?: string; rows: number };
  curate: { saved: boolean };
}

// ---------------------------------------------------------------- both directions

export type WebviewRequest = GridRequest | FiltersRequest | CurvesRequest | MapRequest;

/** Webview -> host. `ready` is sent once the page has painted from its embedded initial state. */
export type WebviewMessage = WebviewRequest | { type: 'ready' };

export type ResponseBody<R extends WebviewRequest> = R extends GridRequest
  ? GridResponses[R['type']]
  : R extends FiltersRequest
    ? FiltersResponses[R['type']]
    : R extends CurvesRequest
      ? CurvesResponses[R['type']]
      : R extends MapRequest
        ? MapResponses[R['type']]
        : never;

/** Host -> webview. */
export type HostMessage =
  | { type: 'response'; requestId: number; ok: true; body: unknown }
  | { type: 'response'; requestId: number; ok: false; error: string }
  | { type: 'progress'; requestId: number; done: number; total: number; message?: string }
  /** Grid and filters: the run wrote a new checkpoint. */
  | { type: 'checkpoints'; checkpoints: number[] }
  /** Curves: new metrics of a run (replaces that run's series), e.g. after an 'epoch' event while training. */
  | { type: 'runSeries'; run: RunSeries }
  /** Grid: thumbnails became available. */
  | { type: 'thumbsReady'; thumbBase: string };

/** Id of the element holding the initial state (JSON) in every panel page. */
export const INITIAL_STATE_ID = 'deepcluster-initial-state';
/** Members per page in the cluster detail. */
export const MEMBER_PAGE = 120;
