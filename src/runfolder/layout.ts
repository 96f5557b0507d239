// The run directory's layout: the one place that knows where each file of a run lives. Everything else in
// src/runfolder/ builds its paths from here, and nothing outside src/runfolder/ joins a path inside a run.
//   <run>/run.json                 RunManifest
//   <run>/events.jsonl             TrainerEvent per line, append-only (a torn last line is tolerated)
//   <run>/images.txt               names of the dataset images by index (imageNames.ts)
//   <run>/skipped.txt              files that could not be read (skipped.ts)
//   <run>/trainer.pid              the live trainer: pid, ISO start, host, process start time (liveness.ts)
//   <run>/checkpoints/epoch-0007/  CheckpointManifest in checkpoint.json, plus the files it lists
//   <run>/checkpoints/.tmp-*       a checkpoint being written (or left by a killed trainer): never trusted
//   <run>/latest                   text file: name of the newest complete checkpoint folder
//   <run>/evaluations/epoch-0007.json  quality report of that checkpoint
//   <run>/analysis/epoch-0007/...  what `visualize` and `thumbs --clusters` computed for that checkpoint
//   <run>/thumbs/s64/<index>.png   thumbnails of dataset images
//   <run>/tb/events.out.tfevents.* TensorBoard scalars
//   <run>/maps/epoch-0007-umap.json  a cached 2-D map of that checkpoint's embeddings (`deepcluster map`)
//   <run>/curation.json            the user's cluster names, merges, junk marks and moves (never the trainer's)
// Epoch numbers are 0-based: checkpoint epoch-0007 holds the state after epoch 7 finished (8 epochs done).
// Plain Node: no tfjs, no vscode.
import * as path from 'node:path';
import type { CheckpointRole } from '../protocol/run';

export const RUN_FILES = {
  manifest: 'run.json',
  events: 'events.jsonl',
  skipped: 'skipped.txt',
  pid: 'trainer.pid',
  checkpoints: 'checkpoints',
  latest: 'latest',
  checkpointManifest: 'checkpoint.json',
  images: 'images.txt',
  evaluations: 'evaluations',
  analysis: 'analysis',
  thumbs: 'thumbs',
  tensorboard: 'tb',
  maps: 'maps',
  curation: 'curation.json',
} as const;
export type RunFile = keyof typeof RUN_FILES;

/** Files inside a checkpoint folder. All binary arrays are little-endian. */
export const CHECKPOINT_FILES: Record<CheckpointRole, string> = {
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
};

/** <run>/<file> for one of the run's own files or folders. */
export function runFile(runDir: string, file: RunFile): string {
  return path.join(runDir, RUN_FILES[file]);
}

export function checkpointDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

export function checkpointEpoch(name: string): number | undefined {
  const m = /^epoch-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** <run>/checkpoints/epoch-NNNN, by epoch or by folder name. */
export function checkpointDir(runDir: string, epochOrName: number | string): string {
  const name = typeof epochOrName === 'number' ? checkpointDirName(epochOrName) : epochOrName;
  return path.join(runDir, RUN_FILES.checkpoints, name);
}

/** A file of a checkpoint folder, by role; `file` overrides the default name (a manifest entry's own). */
export function checkpointFile(checkpointDir: string, role: CheckpointRole | 'manifest', file?: string): string {
  return path.join(
    checkpointDir,
    file ?? (role === 'manifest' ? RUN_FILES.checkpointManifest : CHECKPOINT_FILES[role]),
  );
}

/** The run folder a checkpoint folder belongs to (<run>/checkpoints/<name> -> <run>). */
export function runDirOfCheckpoint(checkpointDir: string): string {
  return path.dirname(path.dirname(path.resolve(checkpointDir)));
}

/** Whether a path names a checkpoint's manifest (checkpoint.json). */
export function isCheckpointManifest(p: string): boolean {
  return path.basename(p) === RUN_FILES.checkpointManifest;
}

/** <run>/evaluations/<checkpoint>.json */
export function evaluationFile(runDir: string, checkpointName: string): string {
  return path.join(runDir, RUN_FILES.evaluations, `${checkpointName}.json`);
}

/** <run>/analysis/<checkpoint>: what `visualize` and `thumbs --clusters` computed for one checkpoint. */
export function analysisDir(runDir: string, checkpoint: number | string): string {
  return path.join(
    runDir,
    RUN_FILES.analysis,
    typeof checkpoint === 'number' ? checkpointDirName(checkpoint) : checkpoint,
  );
}

/** `thumbs/s64/123.png`: a thumbnail's path relative to the run (with '/', as analysis JSON files carry it). */
export function thumbnailRelPath(size: number, index: number): string {
  return `${RUN_FILES.thumbs}/s${size}/${index}.png`;
}

/** <run>/thumbs/s<size>/<index>.png */
export function thumbnailFile(runDir: string, size: number, index: number): string {
  return path.join(runDir, ...thumbnailRelPath(size, index).split('/'));
}

/** <run>/thumbs/s<size> */
export function thumbsDir(runDir: string, size: number): string {
  return path.join(runDir, RUN_FILES.thumbs, `s${size}`);
}

/** A path given relative to the run in an analysis file ('/'-separated) as a file path. */
export function runRelative(runDir: string, rel: string): string {
  return path.join(runDir, ...rel.split('/'));
}

/** `analysis/<checkpoint>/<parts...>` relative to the run, with '/' (as analysis JSON files carry it). */
export function analysisRelPath(checkpointName: string, ...parts: string[]): string {
  return [RUN_FILES.analysis, checkpointName, ...parts].join('/');
}

/** Files under analysis/<checkpoint>/ (their contents: src/protocol/analysis.ts). */
export const ANALYSIS_FILES = {
  /** <layer>/top.json: top images of every filter of the layer. */
  topActivations: 'top.json',
  /** top-layer.json: the images that most excite each top-layer unit. */
  topLayer: 'top-layer.json',
  typical: (by: string) => `typical-${by}.json`,
} as const;

/** analysis/<checkpoint>/<layer>: a layer's filter images (filter-0003.png/.json) and top.json. */
export function layerAnalysisDir(runDir: string, checkpoint: number | string, layer: string): string {
  return path.join(analysisDir(runDir, checkpoint), layer);
}

/** `filter-0003`: the stem of a filter's gradient-ascent PNG and JSON in its layer's analysis folder. */
export function filterFileStem(filter: number): string {
  return `filter-${String(filter).padStart(4, '0')}`;
}

/** `maps/epoch-0007-umap.json`: a checkpoint's embedding map by method, relative to the run. */
export function mapRelPath(epoch: number, method: string): string {
  return `${RUN_FILES.maps}/${checkpointDirName(epoch)}-${method}.json`;
}

/** A glob, relative to a runs folder, of the files whose change means a run's state changed (for file watchers). */
export const RUN_STATE_GLOB = `*/{${RUN_FILES.manifest},${RUN_FILES.latest},${RUN_FILES.pid}}`;
