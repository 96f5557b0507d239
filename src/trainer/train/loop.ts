// The DeepCluster epoch loop, top to bottom, one function per phase in the paper's words:
//   compute features -> cluster (PCA-whitening + k-means or PIC) -> pseudo-labels + sampler ->
//   fresh top layer -> train on the pseudo-labels -> checkpoint.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import type { EpochMetrics, Phase } from '../../protocol/events';
import type { ConvNet } from '../model/types';
import { Rng } from '../cluster';
import { epochSeed } from './seeds';
import type { StepRecord } from '../run/stepScalars';

/** What the loop needs from the outside world; cli.ts wires the real pieces in. */
export interface LoopDeps {
  config: TrainConfig;
  model: ConvNet;
  data: LoopData;
  cluster: (features: Float32Array, n: number, d: number, epoch: number) => Promise<Clustering>;
  sample: (assignments: Int32Array, k: number, epoch: number) => { indices: Int32Array; labels: Int32Array };
  step: (x: tf.Tensor4D, labels: tf.Tensor1D) => Promise<number>;
  newTopOptimizer: () => void;
  metrics: (assignments: Int32Array, previous: Int32Array | undefined, clustering: Clustering) => Omit<EpochMetrics, 'epoch' | 'loss' | 'seconds'>;
  checkpoint: (epoch: number, state: EpochState) => Promise<string>;
  emitPhase: (epoch: number, phase: Phase, done?: number, total?: number) => void;
  emitEpoch: (metrics: EpochMetrics) => void;
  shouldStop: () => boolean;
  /** Step-level scalars (a StepScalars): begin before an epoch's training, record each step, flush at its end. */
  steps?: { begin(): void; record(r: StepRecord): unknown; flush(): unknown };
}

/** The dataset as the loop sees it: batches of normalised tensors by dataset index. */
export interface LoopData {
  size: number;
  /** Centre-cropped, normalised batch (eval view). */
  evalBatch: (indices: Int32Array) => Promise<tf.Tensor4D>;
  /** Augmented, normalised batch (training view); the rng makes augmentation reproducible. */
  trainBatch: (indices: Int32Array, rng: () => number) => Promise<tf.Tensor4D>;
}

export interface Clustering {
  assignments: Int32Array;
  /** Number of clusters including empty ones (the top layer's size). */
  k: number;
  objective?: number;
  centroids?: Float32Array;
  /** The features after PCA-whitening and L2 normalisation (N x pcaDim), for exemplars. */
  reduced?: Float32Array;
  reducedDim?: number;
  transform?: unknown;
}

export interface EpochState {
  clustering: Clustering;
  metrics: EpochMetrics;
}

export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}

/** Run epochs [startEpoch, config.epochs). `previous` are the last completed epoch's assignments (for NMI). */
export async function runEpochs(deps: LoopDeps, startEpoch: number, previous?: Int32Array): Promise<void> {
  for (let epoch = startEpoch; epoch < deps.config.epochs; epoch++) {
    previous = await runEpoch(deps, epoch, previous);
  }
}

async function runEpoch(deps: LoopDeps, epoch: number, previous: Int32Array | undefined): Promise<Int32Array> {
  const { model } = deps;
  const seconds: EpochMetrics['seconds'] = { epoch: 0 };
  const timed = async <T>(phase: Phase, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    deps.emitPhase(epoch, phase);
    const r = await f();
    seconds[phase] = (performance.now() - t0) / 1000;
    return r;
  };
  const tEpoch = performance.now();

  model.removeTopLayer();
  const features = await timed('features', () => computeFeatures(deps, epoch));
  const clustering = await timed('clustering', () => deps.cluster(features, deps.data.size, model.featureDim, epoch));
  const clusterMetrics = deps.metrics(clustering.assignments, previous, clustering);
  if (deps.shouldStop()) throw new StopRequested();

  const loss = await timed('training', () => trainOnPseudoLabels(deps, clustering, epoch));
  seconds.epoch = (performance.now() - tEpoch) / 1000;
  const metrics: EpochMetrics = { epoch, loss, ...clusterMetrics, seconds };
  await timed('checkpoint', () => deps.checkpoint(epoch, { clustering, metrics }));
  seconds.epoch = (performance.now() - tEpoch) / 1000;
  deps.emitEpoch(metrics);
  return clustering.assignments;
}

/** fc7 features before ReLU, eval mode, in dataset order (row i is image i: never shuffle here). */
export async function computeFeatures(deps: LoopDeps, epoch: number): Promise<Float32Array> {
  const { model, data, config } = deps;
  const n = data.size;
  const d = model.featureDim;
  const out = new Float32Array(n * d);
  const batch = config.batchSize;
  for (let start = 0; start < n; start += batch) {
    if (deps.shouldStop()) throw new StopRequested();
    const idx = Int32Array.from({ length: Math.min(batch, n - start) }, (_, i) => start + i);
    const x = await data.evalBatch(idx);
    const f = tf.tidy(() => model.features(x));
    out.set(await f.data(), start * d);
    tf.dispose([x, f]);
    deps.emitPhase(epoch, 'features', Math.min(start + batch, n), n);
  }
  return out;
}

/** One pass of N samples drawn (uniformly over clusters) with their pseudo-labels, through a fresh top layer. */
export async function trainOnPseudoLabels(deps: LoopDeps, clustering: Clustering, epoch: number): Promise<number> {
  const { model, config, data } = deps;
  const { indices, labels } = deps.sample(clustering.assignments, clustering.k, epoch);
  model.resetTopLayer(clustering.k, epochSeed(config.seed, epoch, 'top'));
  deps.newTopOptimizer();
  model.setDropoutSeed(epochSeed(config.seed, epoch, 'dropout'));
  const rng = new Rng(epochSeed(config.seed, epoch, 'augment')).random;
  const n = indices.length;
  const batch = config.batchSize;
  let lossSum = 0;
  let seen = 0;
  const stepsPerEpoch = Math.ceil(n / batch);
  deps.steps?.begin();
  for (let start = 0; start < n; start += batch) {
    if (deps.shouldStop()) throw new StopRequested();
    const end = Math.min(start + batch, n);
    const x = await data.trainBatch(indices.subarray(start, end), rng);
    const y = tf.tensor1d(labels.subarray(start, end), 'int32');
    const loss = await deps.step(x, y);
    tf.dispose([x, y]);
    if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch}, batch ${start / batch}: loss is ${loss}`);
    lossSum += loss * (end - start);
    seen += end - start;
    deps.steps?.record({ epoch, step: epoch * stepsPerEpoch + start / batch + 1, loss, lr: config.lr, images: end - start, epochFraction: end / n });
    deps.emitPhase(epoch, 'training', end, n);
  }
  deps.steps?.flush();
  return lossSum / Math.max(1, seen);
}
