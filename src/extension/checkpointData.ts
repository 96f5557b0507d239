// One checkpoint as the tree, the inspector and the export see it, read from the files checkpoint.json lists
// through the run-folder library (src/runfolder/checkpoints.ts). Sync, no tfjs: the extension never loads weights.
// Missing optional files (exemplars, label histograms) simply leave their parts undefined.
import { basename } from 'node:path';
import type {
  CheckpointManifest,
  CheckpointMetrics,
  ClusterExemplars,
  LabelHistograms,
  QualityReport,
} from '../protocol';
import { peekCheckpoint } from '../runfolder/checkpoints';
import { readEvaluation } from '../runfolder/evaluations';
import { readImageNames } from '../runfolder/imageNames';
import { runDirOfCheckpoint } from '../runfolder/layout';

export interface MemberRef {
  /** Index of the image in the dataset order the trainer used. */
  index: number;
  /** Distance to the cluster centroid, for exemplars. */
  distance?: number;
}

export interface ClusterView {
  index: number;
  size: number;
  /** The exemplars nearest the centroid first, else the members in dataset order. */
  members: MemberRef[];
  topLabel?: string;
  /** Share of the cluster carrying its top label, 0..1. */
  purity?: number;
}

/** A layer as far as the weights tell: its weight tensors, their shapes and the parameter count. */
export interface LayerView {
  name: string;
  weights: { name: string; shape: number[] }[];
  params: number;
}

export interface CheckpointView {
  path: string;
  dir: string;
  manifest: CheckpointManifest;
  metrics?: CheckpointMetrics;
  modelOptions?: Record<string, unknown>;
  layers: LayerView[];
  totalParams: number;
  clusters: ClusterView[];
  /** Per image: its cluster (the pseudo-label). */
  assignments?: Int32Array;
  /** Per image: distance to its cluster's centroid in the clustering space. */
  distances?: Float32Array;
  /** The name of dataset image i (file path for image folders) from the run's images.txt; read on first use. */
  imageName(index: number): string | undefined;
  classNames?: string[];
  /** `deepcluster eval` (or the end of training on labelled data) for this checkpoint, when it ran. */
  quality?: QualityReport;
}

/** Top label and purity of a cluster from its row of label counts. */
export function labelStats(
  counts: number[] | undefined,
  classNames: string[] | undefined,
  size: number,
): { topLabel?: string; purity?: number } {
  if (!counts || size <= 0) return {};
  let best = -1;
  let arg = -1;
  counts.forEach((n, i) => {
    if (n > best) [best, arg] = [n, i];
  });
  if (arg < 0 || best <= 0) return {};
  return { topLabel: classNames?.[arg] ?? String(arg), purity: best / size };
}

/** Clusters from the assignments, with exemplars and label statistics when the checkpoint has them. */
export function clustersOf(
  k: number,
  assignments: Int32Array | undefined,
  exemplars?: ClusterExemplars,
  hist?: LabelHistograms,
): ClusterView[] {
  const sizes = new Array<number>(k).fill(0);
  const members: MemberRef[][] = Array.from({ length: k }, () => []);
  if (assignments) {
    assignments.forEach((c, i) => {
      if (c >= 0 && c < k) {
        sizes[c]!++;
        members[c]!.push({ index: i });
      }
    });
  }
  return sizes.map((size, index) => {
    const ex = exemplars?.clusters[index];
    const m = ex?.indices.length
      ? ex.indices.map((i, j) => ({ index: i, distance: ex.distances[j] }))
      : members[index]!;
    const s = assignments ? size : (hist?.counts[index]?.reduce((a, b) => a + b, 0) ?? m.length);
    return { index, size: s, members: m, ...labelStats(hist?.counts[index], hist?.classNames, s) };
  });
}

/** Groups weight tensors "conv1/kernel", "conv1/bias" into layer "conv1", in file order. */
export function layersOf(weights: { name: string; shape: number[] }[]): LayerView[] {
  const layers = new Map<string, LayerView>();
  for (const w of weights) {
    const name = w.name.includes('/') ? w.name.slice(0, w.name.lastIndexOf('/')) : w.name;
    const layer = layers.get(name) ?? { name, weights: [], params: 0 };
    layer.weights.push(w);
    layer.params += w.shape.reduce((a, b) => a * b, 1);
    layers.set(name, layer);
  }
  return [...layers.values()];
}

interface ModelJson {
  modelTopology?: { arch?: string; options?: Record<string, unknown> };
  weightsManifest?: { weights: { name: string; shape: number[] }[] }[];
}

export function readCheckpoint(manifestPath: string): CheckpointView | undefined {
  const ck = peekCheckpoint(manifestPath);
  if (!ck) return undefined;
  const { manifest, dir } = ck;
  const runDir = runDirOfCheckpoint(dir);
  const assignments = ck.array('assignments')?.data as Int32Array | undefined;
  let names: string[] | null | undefined;
  const distances = ck.array('distances')?.data as Float32Array | undefined;
  const hist = ck.json<LabelHistograms>('labelHistograms');
  const model = ck.json<ModelJson>('model');
  const layers = layersOf((model?.weightsManifest ?? []).flatMap((g) => g.weights));
  return {
    path: manifestPath,
    dir,
    manifest,
    metrics: ck.json<CheckpointMetrics>('metrics'),
    modelOptions: model?.modelTopology?.options,
    layers,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    clusters: clustersOf(manifest.k, assignments, ck.json<ClusterExemplars>('exemplars'), hist),
    assignments,
    distances,
    imageName: (index: number) => (names ??= readImageNames(runDir) ?? null)?.[index],
    classNames: hist?.classNames,
    quality: readEvaluation(runDir, basename(dir)),
  };
}
