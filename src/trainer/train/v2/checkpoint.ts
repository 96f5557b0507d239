// What a v2 checkpoint holds beyond the 2018 one, written and read in one place: the projection head and the
// prototype sets in the weights, and the other prototype sets' assignments in the optimizer state (assignments/N),
// which `resume` trains on. The first set's clustering fills the common fields (assignments, centroids, exemplars).
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../../protocol/config';
import type { EpochMetrics } from '../../../protocol/events';
import type { Dataset } from '../../data';
import type { ConvNet } from '../../model/types';
import { isHeadWeight, type ProjectionHead } from '../../model/projectionHead';
import { loadCheckpoint, saveCheckpoint } from '../../run/checkpoint';
import { centroidDistances, clusterExemplars, labelHistograms, type Clustering } from '../clusteringPhase';
import type { Sgd } from '../sgd';
import type { V2Clustering } from './loop';

const ASSIGNMENTS_PREFIX = 'assignments/';

export interface V2CheckpointParts {
  runDir: string;
  config: TrainConfig;
  model: ConvNet;
  head: ProjectionHead;
  optimizer: Sgd;
  dataset: Pick<Dataset, 'labels' | 'classNames'>;
  crashPoint?(epoch: number): void | Promise<void>;
}

/** Writes the epoch's checkpoint; returns its folder. */
export async function saveV2Checkpoint(
  run: V2CheckpointParts,
  epoch: number,
  c: V2Clustering,
  metrics: EpochMetrics,
): Promise<string> {
  const { config, model, head, optimizer, dataset } = run;
  const clustering = firstSet(c, config.k);
  const state = optimizer.exportState();
  for (let h = 1; h < c.assignments.length; h++)
    state.set(`${ASSIGNMENTS_PREFIX}${h}`, tf.tensor1d(c.assignments[h], 'int32'));
  const distances = centroidDistances(clustering);
  try {
    const ref = await saveCheckpoint(
      run.runDir,
      {
        epoch,
        arch: config.arch,
        modelOptions: { ...model.options, head: { ...head.options, prototypes: [...head.options.prototypes] } },
        weights: new Map<string, tf.Tensor>([...model.namedWeights(), ...head.namedWeights()]),
        optimizer: { state, config: { ...optimizer.options, recipe: 'v2' } },
        assignments: c.assignments[0],
        k: config.k,
        centroids: { data: c.centroids[0], shape: [config.k, c.centroids[0].length / config.k] },
        distances,
        exemplars: clusterExemplars(clustering, distances),
        labelHistograms: dataset.labels
          ? labelHistograms(c.assignments[0], config.k, dataset.labels, dataset.classNames)
          : undefined,
        metrics,
      },
      { keep: config.keepCheckpoints, beforeRename: () => run.crashPoint?.(epoch) },
    );
    return ref.dir;
  } finally {
    tf.dispose([...state.values()]);
  }
}

/** Restores trunk, head, optimizer and every set's assignments; returns the epoch and the clustering to train on. */
export async function restoreV2Checkpoint(
  run: Omit<V2CheckpointParts, 'runDir' | 'dataset'>,
  dir: string,
): Promise<{ epoch: number; clustering: V2Clustering }> {
  const ck = await loadCheckpoint(dir);
  run.model.loadWeights(new Map([...ck.weights].filter(([name]) => !isHeadWeight(name) && !name.startsWith('top.'))));
  run.head.loadWeights(ck.weights);
  const state = ck.optimizer?.state ?? new Map<string, tf.Tensor>();
  try {
    run.optimizer.importState(state);
    const assignments = [ck.assignments];
    for (let h = 1; h < run.head.options.prototypes.length; h++) {
      const t = state.get(`${ASSIGNMENTS_PREFIX}${h}`);
      if (!t) throw new Error(`checkpoint ${dir} lacks the assignments of prototype set ${h}`);
      assignments.push(Int32Array.from(await t.data()));
    }
    return { epoch: ck.epoch, clustering: { assignments, centroids: [], meanSimilarity: [], bank: [] } };
  } finally {
    tf.dispose([...ck.weights.values(), ...state.values()]);
  }
}

/** The first prototype set's clustering in the common terms (what the grid, exemplars and metrics read). */
export function firstSet(c: V2Clustering, k: number): Clustering {
  return {
    assignments: c.assignments[0],
    k,
    objective: c.meanSimilarity[0],
    centroids: c.centroids[0],
    reduced: c.bank[0],
    reducedDim: c.bank[0] && c.centroids[0] ? c.centroids[0].length / k : undefined,
  };
}
