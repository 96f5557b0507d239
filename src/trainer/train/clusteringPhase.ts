// The clustering phase of an epoch and what a checkpoint keeps of it: PCA-whitening + L2 -> k-means (or PIC),
// then per-cluster exemplars (members nearest to the centroid in the clustering space) and label histograms.
import type { TrainConfig } from '../../protocol/config';
import type { ClusterExemplars, LabelHistograms } from '../../protocol/run';
import type { CheckpointState } from '../run/checkpoint';
import { kmeans, pcaWhiten, pic, whiteningMatrix, type PcaTransform } from '../cluster';
import { epochSeed } from '../seeds';

/** One epoch's clustering, whichever the method. */
export interface Clustering {
  assignments: Int32Array;
  /** Number of clusters including empty ones (the top layer's size). */
  k: number;
  objective?: number;
  centroids?: Float32Array;
  /** The features in the clustering space (after PCA-whitening and L2 normalisation: N x reducedDim). */
  reduced?: Float32Array;
  reducedDim?: number;
}

export interface EpochClustering extends Clustering {
  transform: PcaTransform;
}

/** deepcluster.cluster of the official code: PCA-whitening to config.pca dims + L2, then k-means (or PIC). */
export async function clusterFeatures(
  config: TrainConfig,
  features: Float32Array,
  n: number,
  d: number,
  epoch: number,
): Promise<EpochClustering> {
  const whitened = await pcaWhiten({ data: features, n, d }, config.pca);
  const x = whitened.features;
  if (config.clustering === 'pic') {
    const r = await pic(x);
    return {
      assignments: r.assignments,
      k: r.k,
      objective: r.objective,
      reduced: x.data,
      reducedDim: x.d,
      transform: whitened.transform,
    };
  }
  // The official code redraws the faiss seed every epoch (np.random.randint(1234)); ours derives it from the run
  // seed and the epoch so that `resume` replays it.
  const r = await kmeans(x, config.k, { iterations: 20, seed: epochSeed(config.seed, epoch, 'kmeans') % 1234 });
  return {
    assignments: r.assignments,
    k: config.k,
    objective: r.objective,
    centroids: r.centroids,
    reduced: x.data,
    reducedDim: x.d,
    transform: whitened.transform,
  };
}

/** Distance of every image to its cluster's centroid (k-means) or cluster mean (PIC), in the clustering space. */
export function centroidDistances(c: Clustering): Float32Array | undefined {
  const d = c.reducedDim ?? 0;
  const x = c.reduced;
  if (!x) return undefined;
  const centroids = c.centroids ?? clusterMeans(x, d, c.assignments, c.k);
  const out = new Float32Array(c.assignments.length);
  c.assignments.forEach((a, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = x[i * d + j] - centroids[a * d + j];
      s += diff * diff;
    }
    out[i] = Math.sqrt(s);
  });
  return out;
}

/** Up to `perCluster` members of each cluster, nearest to the centroid first. */
export function clusterExemplars(
  c: Clustering,
  distances: Float32Array | undefined,
  perCluster = 16,
): ClusterExemplars {
  const members: number[][] = Array.from({ length: c.k }, () => []);
  c.assignments.forEach((a, i) => members[a].push(i));
  return {
    clusters: members.map((m) => {
      if (!distances) return { indices: m.slice(0, perCluster), distances: [] };
      const top = m.sort((a, b) => distances[a] - distances[b]).slice(0, perCluster);
      return { indices: top, distances: top.map((i) => distances[i]) };
    }),
  };
}

function clusterMeans(x: Float32Array, d: number, assignments: Int32Array, k: number): Float32Array {
  const sums = new Float32Array(k * d);
  const counts = new Int32Array(k);
  assignments.forEach((a, i) => {
    counts[a]++;
    for (let j = 0; j < d; j++) sums[a * d + j] += x[i * d + j];
  });
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sums[c * d + j] /= Math.max(1, counts[c]);
  return sums;
}

/** counts[cluster][label], for datasets with labels. */
export function labelHistograms(
  assignments: Int32Array,
  k: number,
  labels: Int32Array,
  classNames?: string[],
): LabelHistograms {
  let nLabels = classNames?.length ?? 0;
  for (const l of labels) nLabels = Math.max(nLabels, l + 1);
  const counts = Array.from({ length: k }, () => new Array<number>(nLabels).fill(0));
  assignments.forEach((a, i) => counts[a][labels[i]]++);
  return { classNames, counts };
}

/**
 * What a checkpoint keeps of a PCA + k-means (or PIC) clustering: the assignments, the centroids, the whitening as
 * one matrix (components scaled by their whitening factors, so x -> matrix (x - mean)), each image's distance to
 * its centroid, exemplars and label histograms.
 */
export function clusteringCheckpointFields(
  c: EpochClustering,
  labels?: Int32Array,
  classNames?: string[],
): Pick<CheckpointState, 'assignments' | 'k' | 'centroids' | 'pca' | 'distances' | 'exemplars' | 'labelHistograms'> {
  const t = c.transform;
  const matrix = whiteningMatrix(t);
  const distances = centroidDistances(c);
  return {
    assignments: c.assignments,
    k: c.k,
    centroids: c.centroids ? { data: c.centroids, shape: [c.k, c.reducedDim ?? 0] } : undefined,
    pca: { mean: { data: t.mean, shape: [t.inputDim] }, matrix: { data: matrix, shape: [t.outputDim, t.inputDim] } },
    distances,
    exemplars: clusterExemplars(c, distances),
    labelHistograms: labels ? labelHistograms(c.assignments, c.k, labels, classNames) : undefined,
  };
}
