// Checkpoints as the trainer sees them: the network, optimizer and clustering state of one epoch, in the TF.js
// weights format. Where and how the files are written (temp folder, checkpoint.json last, rename, `latest`),
// verified, listed and pruned is the run-folder library's job (src/runfolder/checkpoints.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { ArchName } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/events';
import type { CheckpointManifest, CheckpointTopology, ClusterExemplars, LabelHistograms } from '../../protocol/run';
import {
  openCheckpoint,
  writeCheckpoint,
  type CheckpointRef,
  type CheckpointFiles,
  type SavedArray,
  type WriteCheckpointOptions,
} from '../../runfolder/checkpoints';
import { CHECKPOINT_FILES } from '../../runfolder/layout';
import { mergeShards } from '../model/denseShards';

/** What one checkpoint holds. Tensors are read, never disposed, by saveCheckpoint. */
export interface CheckpointState {
  /** 0-based epoch that just finished. */
  epoch: number;
  arch: ArchName;
  /** The model's options (ModelOptions), stored as model.json's modelTopology.options. */
  modelOptions: Record<string, unknown>;
  /** ConvNet.namedWeights() (includes the top layer when attached); column shards are stored merged. */
  weights: Map<string, tf.Tensor>;
  /** Optimizer slots by name (e.g. momentum buffers) plus its plain settings (lr, iterations, ...). */
  optimizer?: { state: Map<string, tf.Tensor>; config?: Record<string, unknown> };
  /** Cluster of each image, in dataset order. */
  assignments: Int32Array;
  /** Distance of each image to its cluster's centroid in the clustering space. */
  distances?: Float32Array;
  /** Number of clusters of this assignment. */
  k: number;
  /** [k, pcaDim] k-means centroids. */
  centroids?: SavedArray;
  /** PCA whitening: mean [featureDim] and matrix [pcaDim, featureDim] (its meaning is the clustering code's). */
  pca?: { mean: SavedArray; matrix: SavedArray };
  exemplars?: ClusterExemplars;
  labelHistograms?: LabelHistograms;
  /** RNG states by name (JSON-serialisable). */
  rng?: Record<string, unknown>;
  metrics: EpochMetrics;
}

/** What loadCheckpoint returns. The caller owns (and disposes) the tensors. */
export interface LoadedCheckpoint extends Omit<CheckpointState, 'modelOptions' | 'optimizer'> {
  dir: string;
  manifest: CheckpointManifest;
  modelOptions: Record<string, unknown>;
  optimizer?: { state: Map<string, tf.Tensor>; config?: Record<string, unknown> };
}

/** model.json / optimizer.json: the TF.js weights format (weightsManifest of tf.io.encodeWeights specs). */
interface WeightsJson {
  format: string;
  generatedBy: string;
  modelTopology?: CheckpointTopology;
  config?: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export type SaveCheckpointOptions = WriteCheckpointOptions;

/** Save a checkpoint into <run>/checkpoints/epoch-NNNN and point `latest` at it. */
export async function saveCheckpoint(
  runDir: string,
  state: CheckpointState,
  options: SaveCheckpointOptions = {},
): Promise<CheckpointRef> {
  const header = { epoch: state.epoch, arch: state.arch, k: state.k, images: state.assignments.length };
  return writeCheckpoint(
    runDir,
    header,
    async (w) => {
      const model = await encodeNamed(state.weights, CHECKPOINT_FILES.weights);
      await w.put('weights', model.data);
      await w.putJson('model', { ...model.json, modelTopology: { arch: state.arch, options: state.modelOptions } });
      if (state.optimizer) {
        const opt = await encodeNamed(state.optimizer.state, CHECKPOINT_FILES.optimizerWeights);
        await w.put('optimizerWeights', opt.data);
        await w.putJson('optimizer', { ...opt.json, config: state.optimizer.config ?? {} });
      }
      await w.putArray('assignments', { data: state.assignments, shape: [state.assignments.length] });
      if (state.distances) await w.putArray('distances', { data: state.distances, shape: [state.distances.length] });
      if (state.centroids) await w.putArray('centroids', state.centroids);
      if (state.pca) {
        await w.putArray('pcaMean', state.pca.mean);
        await w.putArray('pcaMatrix', state.pca.matrix);
      }
      if (state.exemplars) await w.putJson('exemplars', state.exemplars);
      if (state.labelHistograms) await w.putJson('labelHistograms', state.labelHistograms);
      if (state.rng) await w.putJson('rng', state.rng);
      await w.putJson('metrics', state.metrics);
    },
    options,
  );
}

/** Load a checkpoint; a half-written one is refused with a CheckpointError naming what is missing. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const ck = openCheckpoint(dir);
  const model = ck.json<WeightsJson>('model') as WeightsJson;
  const optJson = ck.json<WeightsJson>('optimizer');
  const float = (role: 'centroids' | 'pcaMean' | 'pcaMatrix') => ck.array(role) as SavedArray<Float32Array> | undefined;
  const pcaMean = float('pcaMean');
  const pcaMatrix = float('pcaMatrix');
  return {
    dir,
    manifest: ck.manifest,
    epoch: ck.manifest.epoch,
    arch: ck.manifest.arch,
    k: ck.manifest.k,
    modelOptions: model.modelTopology?.options ?? {},
    weights: decodeNamed(ck, model),
    optimizer: optJson ? { state: decodeNamed(ck, optJson), config: optJson.config } : undefined,
    assignments: (ck.array('assignments')?.data as Int32Array | undefined) ?? new Int32Array(0),
    centroids: float('centroids'),
    pca: pcaMean && pcaMatrix ? { mean: pcaMean, matrix: pcaMatrix } : undefined,
    exemplars: ck.json<ClusterExemplars>('exemplars'),
    labelHistograms: ck.json<LabelHistograms>('labelHistograms'),
    rng: ck.json<Record<string, unknown>>('rng'),
    metrics: ck.json<EpochMetrics>('metrics') as EpochMetrics,
  };
}

async function encodeNamed(shardedOrNot: Map<string, tf.Tensor>, binFile: string) {
  // A layer held as column shards (webgpu, denseShards.ts) is stored whole, so any backend can load it.
  const { merged: named, created } = await mergeShards(shardedOrNot);
  let encoded: Awaited<ReturnType<typeof tf.io.encodeWeights>>;
  try {
    encoded = await tf.io.encodeWeights(Object.fromEntries(named));
  } finally {
    tf.dispose(created);
  }
  const { data, specs } = encoded;
  const weightsJson: Omit<WeightsJson, 'modelTopology' | 'config'> = {
    format: 'deepcluster-checkpoint',
    generatedBy: `TensorFlow.js tfjs-core v${tf.version_core}`,
    weightsManifest: [{ paths: [binFile], weights: specs }],
  };
  return { data: new Uint8Array(data), json: weightsJson };
}

function decodeNamed(ck: CheckpointFiles, weightsJson: WeightsJson): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const group of weightsJson.weightsManifest) {
    const joined = ck.bytes(group.paths);
    const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
    const decoded = tf.io.decodeWeights(data, group.weights);
    for (const spec of group.weights) out.set(spec.name, decoded[spec.name]);
  }
  return out;
}
