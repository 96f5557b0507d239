import type { ArchName, TrainConfig } from './config';
import type { EngineInfo } from './engine';
import type { EpochMetrics } from './events';

/**
 * The run directory: the contract between the trainer (its only writer) and everything that reads it.
 *   <run>/run.json                 RunManifest
 *   <run>/events.jsonl             TrainerEvent per line, append-only (a torn last line is tolerated)
 *   <run>/images.txt               names of the dataset images by index (file path, or <file>#<i>): the format
 *                                  and its one reader are in src/runfolder/imageNames.ts
 *   <run>/skipped.txt              files that could not be read, one "path<TAB>reason" per line
 *   <run>/trainer.pid              pid of a live trainer (removed on exit): lines pid, ISO start, host[, proc start]
 *   <run>/checkpoints/epoch-0007/  CheckpointManifest in checkpoint.json, plus the files it lists
 *   <run>/checkpoints/.tmp-*       a checkpoint being written (or left by a killed trainer): never trusted
 *   <run>/latest                   text file: name of the newest complete checkpoint folder
 *   <run>/maps/epoch-0007-umap.json  EmbeddingMapFile: 2-D layout of every image (`deepcluster map`), a cache
 *   <run>/curation.json            the user's cluster names, merges, junk marks and moves (never the trainer's)
 * Epoch numbers are 0-based: checkpoint epoch-0007 holds the state after epoch 7 finished (8 epochs done).
 */
export const RUN_FILES = {
  manifest: 'run.json',
  events: 'events.jsonl',
  skipped: 'skipped.txt',
  pid: 'trainer.pid',
  checkpoints: 'checkpoints',
  latest: 'latest',
  checkpointManifest: 'checkpoint.json',
  /** Line i names dataset image i: its file path (image folders) or `<file>#<i>` (IDX, CIFAR). */
  images: 'images.txt',
  /** `deepcluster eval` reports, one per checkpoint: evaluations/epoch-0007.json (a QualityReport). */
  evaluations: 'evaluations',
  /** `deepcluster map` caches: maps/epoch-0007-umap.json (src/protocol/embeddingMap.ts). */
  maps: 'maps',
  /** The user's curation decisions (src/protocol/curation.ts); written by the extension and `deepcluster curate`. */
  curation: 'curation.json',
} as const;

export type RunStatus = 'running' | 'stopped' | 'finished' | 'failed';
/** What a reader concludes: run.json says `running` but no live trainer owns the folder -> `interrupted`. */
export type EffectiveRunStatus = RunStatus | 'interrupted';

export interface DatasetInfo {
  path: string;
  kind: 'idx' | 'cifar' | 'folder' | 'sample';
  images: number;
  /** Stable hash of the file list, sizes and mtimes (or of the binary files). */
  fingerprint: string;
  labelled: boolean;
  classNames?: string[];
  channels: number;
  skipped: number;
}

export interface RunManifest {
  version: 1;
  id: string;
  created: string;
  updated: string;
  status: RunStatus;
  config: TrainConfig;
  dataset: DatasetInfo;
  engine?: EngineInfo;
  epochsDone: number;
  versions: Record<string, string>;
  /** Why the run failed or stopped (one line), when it did. */
  message?: string;
}

export function checkpointDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

export function checkpointEpoch(name: string): number | undefined {
  const m = /^epoch-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Files inside a checkpoint folder. All binary arrays are little-endian. */
export const CHECKPOINT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  optimizer: 'optimizer.json',
  optimizerWeights: 'optimizer.bin',
  assignments: 'assignments.i32',
  /** float32 per image: distance to its cluster's centroid in the clustering space (nearest-first member lists). */
  distances: 'distances.f32',
  centroids: 'centroids.f32',
  pcaMean: 'pca-mean.f32',
  pcaMatrix: 'pca-matrix.f32',
  exemplars: 'exemplars.json',
  labelHistograms: 'label-histograms.json',
  rng: 'rng.json',
  metrics: 'metrics.json',
} as const;
export type CheckpointRole = keyof typeof CHECKPOINT_FILES;

export const CHECKPOINT_VERSION = 1;

/** One file of a checkpoint; `bytes` is checked on load, so a truncated file is caught. */
export interface CheckpointFileEntry {
  role: CheckpointRole;
  file: string;
  bytes: number;
  /** For raw binary arrays (assignments, centroids, PCA). */
  dtype?: 'int32' | 'float32';
  shape?: number[];
}

/** checkpoint.json, written last into the temp folder: its presence plus matching sizes mean "complete". */
export interface CheckpointManifest {
  version: typeof CHECKPOINT_VERSION;
  /** 0-based epoch whose end this checkpoint captures. */
  epoch: number;
  created: string;
  arch: ArchName;
  /** Number of clusters of this epoch's assignment (the top layer's size). */
  k: number;
  /** Number of images the assignments cover. */
  images: number;
  files: CheckpointFileEntry[];
}

/** model.json `modelTopology`: enough to rebuild the network before loading the weights. */
export interface CheckpointTopology {
  arch: ArchName;
  options: Record<string, unknown>;
}

/** exemplars.json: for cluster c, the member images nearest its centroid, nearest first. */
export interface ClusterExemplars {
  /** One entry per cluster (index = cluster id); empty clusters have empty lists. */
  clusters: { indices: number[]; distances: number[] }[];
}

/** label-histograms.json: counts[c][label] = members of cluster c with that dataset label. */
export interface LabelHistograms {
  classNames?: string[];
  counts: number[][];
}

/** The metrics.json of a checkpoint. */
export type CheckpointMetrics = EpochMetrics;
