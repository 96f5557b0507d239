import type { ArchName, TrainConfig } from './config';
import type { EngineInfo } from './engine';
import type { EpochMetrics } from './events';

/** The run directory's layout and its only readers and writers: src/runfolder/ (layout.ts). Types only here. */
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
  /** `deepcluster import-official`: the official code's experiment folder this run was read from. */
  importedFrom?: string;
  /** Why the run failed or stopped (one line), when it did. */
  message?: string;
}

/** A file of a checkpoint folder by what it holds (the names: CHECKPOINT_FILES in src/runfolder/layout.ts). */
export type CheckpointRole =
  | 'model'
  | 'weights'
  | 'optimizer'
  | 'optimizerWeights'
  | 'assignments'
  | 'distances'
  | 'centroids'
  | 'pcaMean'
  | 'pcaMatrix'
  | 'exemplars'
  | 'labelHistograms'
  | 'rng'
  | 'metrics';

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
