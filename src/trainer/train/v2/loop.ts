// The DeepCluster-v2 epoch loop, read top to bottom like swav's main_deepclusterv2.py:
//   init_memory (once) -> for each epoch: train (assignments from the last clustering; the memory bank is
//   refreshed as images are visited) -> cluster_memory (spherical k-means per prototype set, centroids copied
//   into the frozen prototypes) -> NMI against the previous clustering -> save the checkpoint.
// swav clusters at the start of an epoch; clustering at the end of the previous one is the same computation on
// the same bank, and it lets each checkpoint hold the clusters of its own network. Setup and resume: recipe.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig, V2Settings } from '../../../protocol/config';
import type { EpochMetrics } from '../../../protocol/events';
import { Rng } from '../../cluster/rng';
import { sphericalKmeans } from '../../cluster/sphericalKmeans';
import type { Dataset } from '../../data';
import { multiCropBatch, type MultiCropOptions } from '../../data/multiCrop';
import type { ConvNet } from '../../model/types';
import type { ProjectionHead } from '../../model/projectionHead';
import { clusterMetrics, type ClusterMetrics } from '../../metrics/clusterMetrics';
import { phaseTimer, type LoopProgress } from '../progress';
import { epochSeed } from '../../seeds';
import type { Sgd } from '../sgd';
import { StopRequested } from '../stop';
import { firstSet, saveV2Checkpoint } from './checkpoint';
import { learningRate, type LrSchedule } from './lrSchedule';
import { MemoryBank } from './memoryBank';
import { v2TrainStep } from './step';

export interface V2Run {
  runDir: string;
  config: TrainConfig;
  settings: V2Settings;
  model: ConvNet;
  head: ProjectionHead;
  optimizer: Sgd;
  schedule: LrSchedule;
  dataset: Pick<Dataset, 'size' | 'inputSize' | 'channels' | 'normalization' | 'readBatch' | 'labels' | 'classNames'>;
  crops: MultiCropOptions;
  progress: LoopProgress;
  /** The clustering of the freshly filled bank, before any training (epoch startEpoch - 1). */
  onInitial(metrics: ClusterMetrics): void;
  /** After each epoch's checkpoint is complete: the session records both (run.json, events, the log). */
  onEpoch(epoch: number, checkpointDir: string, metrics: EpochMetrics): Promise<void>;
  /** Fault injection for tests, before a checkpoint folder is renamed into place. */
  crashPoint?(epoch: number): void | Promise<void>;
}

/** One clustering of the memory bank: per prototype set, the assignments and unit centroids. */
export interface V2Clustering {
  assignments: Int32Array[];
  centroids: Float32Array[];
  /** Mean cosine similarity of the points to their centroid, per set (the spherical k-means objective). */
  meanSimilarity: number[];
  /** The bank crop each set was clustered on (row i = image i), kept for exemplars and distances. */
  bank: Float32Array[];
}

/**
 * Optimisation steps in an epoch: every image once, the last batch filled up from the start of the epoch's order
 * (swav drops it instead; here every bank row is then refreshed each epoch, so `resume` replays exactly).
 */
export function stepsPerEpoch(size: number, batchSize: number): number {
  return Math.max(1, Math.ceil(size / batchSize));
}

/**
 * Runs epochs [startEpoch, epochs). `resumed` is the clustering a checkpoint saved (its prototypes are already in
 * the head); without it the first clustering comes from the freshly filled bank.
 */
export async function runV2Epochs(run: V2Run, startEpoch: number, resumed: V2Clustering | undefined): Promise<void> {
  const { config, dataset } = run;
  const memory = new MemoryBank(dataset.size, run.settings.embeddingDim);
  // On resume the bank needs no filling: training visits every image each epoch, so every row is rewritten
  // before the next clustering reads it.
  let clustering = resumed;
  if (!clustering) {
    await initMemory(run, memory, startEpoch);
    clustering = await clusterMemory(run, memory, startEpoch - 1);
    const first = firstSet(clustering, config.k);
    run.onInitial(clusterMetrics(first.assignments, config.k, undefined, dataset.labels, first.objective));
  }
  let previous = clustering.assignments[0];
  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    const timer = phaseTimer(run.progress, epoch);
    const loss = await timer.time('training', () => train(run, memory, clustering!, epoch), false);
    clustering = await timer.time('clustering', () => clusterMemory(run, memory, epoch), false);
    const first = firstSet(clustering, config.k);
    const metrics: EpochMetrics = {
      epoch,
      loss,
      ...clusterMetrics(first.assignments, config.k, previous, dataset.labels, first.objective),
      seconds: { ...timer.seconds, epoch: timer.elapsed() },
    };
    const c = clustering;
    const checkpointDir = await timer.time('checkpoint', () => saveV2Checkpoint(run, epoch, c, metrics));
    await run.onEpoch(epoch, checkpointDir, { ...metrics, seconds: { ...timer.seconds, epoch: timer.elapsed() } });
    previous = clustering.assignments[0];
  }
}

/** Fills the bank with the two large crops' embeddings of every image (eval mode, no gradients). */
export async function initMemory(run: V2Run, memory: MemoryBank, epoch: number): Promise<void> {
  const { dataset, model, head, config } = run;
  const random = new Rng(epochSeed(config.seed, epoch, 'memory')).random;
  const largeOnly: MultiCropOptions = { ...run.crops, small: { ...run.crops.small, count: 0 } };
  const n = dataset.size;
  run.progress.phase(epoch, 'features', 0, n);
  for (let start = 0; start < n; start += config.batchSize) {
    if (run.progress.shouldStop()) throw new StopRequested();
    const idx = Int32Array.from({ length: Math.min(config.batchSize, n - start) }, (_, i) => start + i);
    const u8 = await dataset.readBatch(idx);
    const crops = multiCropBatch(
      u8,
      idx.length,
      dataset.inputSize,
      dataset.channels,
      dataset.normalization,
      largeOnly,
      random,
    );
    const z = tf.tidy(() => head.embed(model.features(crops.large), false));
    memory.write(idx, (await z.data()) as Float32Array);
    tf.dispose([z, crops.large]);
    run.progress.phase(epoch, 'features', start + idx.length, n);
  }
}

/** Spherical k-means of the bank for every prototype set (alternating bank crops), centroids into prototypes. */
export async function clusterMemory(run: V2Run, memory: MemoryBank, epoch: number): Promise<V2Clustering> {
  const { settings, config, head } = run;
  // Reported as part of the epoch that just trained (the first clustering: of the first epoch).
  run.progress.phase(Math.max(0, epoch), 'clustering');
  const out: V2Clustering = { assignments: [], centroids: [], meanSimilarity: [], bank: [] };
  for (let h = 0; h < settings.heads; h++) {
    const crop = h % memory.crops.length;
    const r = await sphericalKmeans(memory.matrix(crop), config.k, {
      iterations: settings.kmeansIterations,
      seed: epochSeed(config.seed, epoch + 1, `kmeans${h}`),
    });
    head.setPrototypes(h, r.centroids);
    out.assignments.push(r.assignments);
    out.centroids.push(r.centroids);
    out.meanSimilarity.push(r.meanSimilarity);
    out.bank.push(Float32Array.from(memory.crops[crop]));
  }
  return out;
}

/** One pass over the data in a seeded order, predicting each image's assignment from all its crops. */
export async function train(run: V2Run, memory: MemoryBank, clustering: V2Clustering, epoch: number): Promise<number> {
  const { dataset, config, settings } = run;
  const n = dataset.size;
  const batch = Math.min(config.batchSize, n);
  const steps = stepsPerEpoch(n, batch);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const shuffleRandom = new Rng(epochSeed(config.seed, epoch, 'shuffle')).random;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(shuffleRandom() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const augment = new Rng(epochSeed(config.seed, epoch, 'augment')).random;
  let lossSum = 0;
  run.progress.phase(epoch, 'training', 0, steps * batch);
  run.progress.steps?.begin();
  for (let it = 0; it < steps; it++) {
    if (run.progress.shouldStop()) throw new StopRequested();
    const globalStep = epoch * steps + it;
    const lr = learningRate(run.schedule, globalStep);
    run.optimizer.options.lr = lr;
    const idx = Int32Array.from({ length: batch }, (_, i) => order[(it * batch + i) % n]);
    const crops = multiCropBatch(
      await dataset.readBatch(idx),
      batch,
      dataset.inputSize,
      dataset.channels,
      dataset.normalization,
      run.crops,
      augment,
    );
    const targets = clustering.assignments.map((a) => Int32Array.from(idx, (i) => a[i]));
    const r = await v2TrainStep(run.model, run.head, crops, targets, run.optimizer, settings.temperature);
    tf.dispose([crops.large, ...(crops.small ? [crops.small] : [])]);
    if (!Number.isFinite(r.loss))
      throw new Error(`training diverged at epoch ${epoch}, step ${it}: loss is ${r.loss} (lower --lr)`);
    memory.write(idx, r.bankEmbeddings);
    lossSum += r.loss;
    run.progress.steps?.record({
      epoch,
      step: globalStep + 1,
      loss: r.loss,
      lr,
      images: batch,
      headLosses: r.headLosses,
      epochFraction: (it + 1) / steps,
    });
    run.progress.phase(epoch, 'training', (it + 1) * batch, steps * batch);
  }
  run.progress.steps?.flush();
  return lossSum / steps;
}
