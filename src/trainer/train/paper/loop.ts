// The 2018 DeepCluster epoch, read top to bottom like the official main.py:
//   remove the top layer -> compute_features (eval mode, dataset order) -> deepcluster.cluster (PCA-whitening + L2,
//   k-means or PIC) -> cluster_assign (pseudo-labels) -> UnifLabelSampler -> a fresh top layer and its optimizer ->
//   train one pass -> NMI against the previous clustering -> save the checkpoint.
// The run's setup and resume are recipe.ts; what each phase reports goes through run.progress.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../../protocol/config';
import type { EpochMetrics } from '../../../protocol/events';
import { imagesLists, officialSampler, Rng, uniformSampler } from '../../cluster';
import type { Dataset } from '../../data';
import type { ConvNet } from '../../model/types';
import { saveCheckpoint } from '../../run/checkpoint';
import { clusterMetrics } from '../../metrics/clusterMetrics';
import { clusterFeatures, clusteringCheckpointFields, type EpochClustering } from '../clusteringPhase';
import { phaseTimer, type LoopProgress } from '../progress';
import { epochSeed } from '../../seeds';
import { topOptimizer, type Sgd } from '../sgd';
import { trainStep } from '../step';
import { StopRequested } from '../stop';

export interface PaperRun {
  runDir: string;
  config: TrainConfig;
  model: ConvNet;
  dataset: Pick<Dataset, 'size' | 'evalBatch' | 'trainBatch' | 'labels' | 'classNames'>;
  /** The body's optimizer (SGD with momentum), kept across epochs. */
  body: Sgd;
  /** Largest slice a step runs at once (the wasm heap cap); undefined: the whole batch. */
  microBatch?: number;
  progress: LoopProgress;
  /** After each epoch's checkpoint is complete: the session records both (run.json, events, the log). */
  onEpoch(epoch: number, checkpointDir: string, metrics: EpochMetrics): Promise<void>;
  /** Fault injection for tests, before a checkpoint folder is renamed into place. */
  crashPoint?(epoch: number): void | Promise<void>;
}

/** The pseudo-labelled sample an epoch trains on: images drawn uniformly over clusters, with their cluster. */
export interface PseudoLabels {
  indices: Int32Array;
  labels: Int32Array;
}

/** Epochs [startEpoch, config.epochs). `previous`: the last finished epoch's assignments (for NMI(t, t-1)). */
export async function runPaperEpochs(run: PaperRun, startEpoch: number, previous?: Int32Array): Promise<void> {
  for (let epoch = startEpoch; epoch < run.config.epochs; epoch++) previous = await runEpoch(run, epoch, previous);
}

async function runEpoch(run: PaperRun, epoch: number, previous: Int32Array | undefined): Promise<Int32Array> {
  const { model, config, dataset } = run;
  const timer = phaseTimer(run.progress, epoch);

  model.removeTopLayer();
  const features = await timer.time('features', () => computeFeatures(run, epoch));
  const clustering = await timer.time('clustering', () =>
    clusterFeatures(config, features, dataset.size, model.featureDim, epoch),
  );
  const measured = clusterMetrics(clustering.assignments, clustering.k, previous, dataset.labels, clustering.objective);
  if (run.progress.shouldStop()) throw new StopRequested();

  const pseudoLabels = samplePseudoLabels(run, clustering, epoch);
  const top = freshTopLayer(run, clustering.k, epoch);
  const loss = await timer.time('training', () => train(run, pseudoLabels, top, epoch)).finally(() => top.dispose());

  const metrics: EpochMetrics = { epoch, loss, ...measured, seconds: { ...timer.seconds, epoch: timer.elapsed() } };
  const checkpointDir = await timer.time('checkpoint', () => saveEpochCheckpoint(run, epoch, clustering, metrics));
  await run.onEpoch(epoch, checkpointDir, { ...metrics, seconds: { ...timer.seconds, epoch: timer.elapsed() } });
  return clustering.assignments;
}

/** fc7 features before ReLU, eval mode, in dataset order (row i is image i: never shuffle here). */
export async function computeFeatures(
  run: Pick<PaperRun, 'model' | 'dataset' | 'config' | 'progress'>,
  epoch: number,
): Promise<Float32Array> {
  const { model, dataset, config, progress } = run;
  const n = dataset.size;
  const d = model.featureDim;
  const out = new Float32Array(n * d);
  const batch = config.batchSize;
  for (let start = 0; start < n; start += batch) {
    if (progress.shouldStop()) throw new StopRequested();
    const idx = Int32Array.from({ length: Math.min(batch, n - start) }, (_, i) => start + i);
    const x = await dataset.evalBatch(idx);
    const f = tf.tidy(() => model.features(x));
    out.set(await f.data(), start * d);
    tf.dispose([x, f]);
    progress.phase(epoch, 'features', Math.min(start + batch, n), n);
  }
  return out;
}

/** cluster_assign + UnifLabelSampler: N images drawn uniformly over the non-empty clusters, labelled by cluster. */
export function samplePseudoLabels(
  run: Pick<PaperRun, 'config' | 'dataset'>,
  clustering: EpochClustering,
  epoch: number,
): PseudoLabels {
  const lists = imagesLists(clustering.assignments, clustering.k);
  const random = new Rng(epochSeed(run.config.seed, epoch, 'sampler')).random;
  const sampler = run.config.sampler === 'official' ? officialSampler : uniformSampler;
  return sampler(lists, run.dataset.size, random);
}

/** A new top layer for k clusters (the official code re-creates it every epoch) and its own momentum-free SGD. */
export function freshTopLayer(run: Pick<PaperRun, 'model' | 'config'>, k: number, epoch: number): Sgd {
  const { model, config } = run;
  model.resetTopLayer(k, epochSeed(config.seed, epoch, 'top'));
  model.setDropoutSeed(epochSeed(config.seed, epoch, 'dropout'));
  return topOptimizer(model, { lr: config.lr, weightDecay: config.weightDecay });
}

/** One pass over the pseudo-labelled sample, augmented; returns the mean cross-entropy. */
export async function train(
  run: Pick<PaperRun, 'model' | 'config' | 'dataset' | 'body' | 'microBatch' | 'progress'>,
  { indices, labels }: PseudoLabels,
  top: Sgd,
  epoch: number,
): Promise<number> {
  const { model, config, dataset, progress } = run;
  const rng = new Rng(epochSeed(config.seed, epoch, 'augment')).random;
  const n = indices.length;
  const batch = config.batchSize;
  const stepsPerEpoch = Math.ceil(n / batch);
  let lossSum = 0;
  progress.steps?.begin();
  for (let start = 0; start < n; start += batch) {
    if (progress.shouldStop()) throw new StopRequested();
    const end = Math.min(start + batch, n);
    const x = await dataset.trainBatch(indices.subarray(start, end), rng);
    const y = tf.tensor1d(labels.subarray(start, end), 'int32');
    const loss = await trainStep(model, x, y, { body: run.body, top }, { microBatch: run.microBatch });
    tf.dispose([x, y]);
    if (!Number.isFinite(loss))
      throw new Error(`training diverged at epoch ${epoch}, batch ${start / batch}: loss is ${loss}`);
    lossSum += loss * (end - start);
    progress.steps?.record({
      epoch,
      step: epoch * stepsPerEpoch + start / batch + 1,
      loss,
      lr: config.lr,
      images: end - start,
      epochFraction: end / n,
    });
    progress.phase(epoch, 'training', end, n);
  }
  progress.steps?.flush();
  return lossSum / Math.max(1, n);
}

/** save_checkpoint: the network, the body's momentum, the clustering (with its PCA), exemplars and metrics. */
async function saveEpochCheckpoint(
  run: PaperRun,
  epoch: number,
  clustering: EpochClustering,
  metrics: EpochMetrics,
): Promise<string> {
  const { model, config, dataset, body } = run;
  const optimizerState = body.exportState();
  try {
    const ref = await saveCheckpoint(
      run.runDir,
      {
        epoch,
        arch: config.arch,
        modelOptions: { ...model.options },
        weights: model.namedWeights(),
        optimizer: { state: optimizerState, config: { ...body.options } },
        ...clusteringCheckpointFields(clustering, dataset.labels, dataset.classNames),
        metrics,
      },
      { keep: config.keepCheckpoints, beforeRename: () => run.crashPoint?.(epoch) },
    );
    return ref.dir;
  } finally {
    tf.dispose([...optimizerState.values()]);
  }
}
