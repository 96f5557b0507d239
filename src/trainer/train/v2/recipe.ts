// Wiring of the v2 recipe into a run: builds the trunk + projection head + optimizer + schedule from the run's
// config, restores them from a checkpoint on resume, and turns each epoch's clustering into metrics, a checkpoint
// and an event. The method itself is loop.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../../protocol/config';
import type { EpochMetrics } from '../../../protocol/events';
import type { Dataset } from '../../data';
import { multiCropFor } from '../../data/multiCrop';
import type { ConvNet } from '../../model/types';
import { isHeadWeight, ProjectionHead } from '../../model/projectionHead';
import { loadCheckpoint, saveCheckpoint } from '../../run/checkpoint';
import { centroidDistances, clusterExemplars, labelHistograms } from '../clusteringPhase';
import type { Clustering } from '../loop';
import { namedParameters, Sgd } from '../sgd';
import { runV2Epochs, stepsPerEpoch, type V2Clustering, type V2Progress } from './loop';
import { defaultV2Settings } from './settings';
import { initHeadWeights, type InitWeights } from '../initFrom';

/** The optimizer state also carries the other prototype sets' assignments, so `resume` trains on them. */
const ASSIGNMENTS_PREFIX = 'assignments/';

export interface V2RecipeContext {
  runDir: string;
  config: TrainConfig;
  dataset: Dataset;
  model: ConvNet;
  checkpointDir?: string;
  progress: V2Progress;
  /** Metrics of a clustering (NMI against the previous one and the labels, sizes). */
  clusterMetrics: (assignments: Int32Array, previous: Int32Array | undefined, c: Clustering) => Omit<EpochMetrics, 'epoch' | 'loss' | 'seconds'>;
  onCheckpoint: (epoch: number, dir: string) => Promise<void>;
  /** Called once the first epoch to run is known (after a checkpoint was restored). */
  onStart: (startEpoch: number) => Promise<void>;
  emitEpoch: (m: EpochMetrics) => void;
  emitInitial: (m: Omit<EpochMetrics, 'loss' | 'seconds'>) => void;
  log: (line: string) => void;
  crashPoint?: (epoch: number) => void | Promise<void>;
  /** `--init` weights of a fresh run: their projection head is loaded when its sizes match. */
  init?: InitWeights;
}

export async function runV2Recipe(ctx: V2RecipeContext): Promise<void> {
  const { config, dataset, model } = ctx;
  const settings = config.v2 ?? defaultV2Settings();
  const head = new ProjectionHead({
    inputDim: model.featureDim,
    hiddenDim: settings.hiddenDim,
    outputDim: settings.embeddingDim,
    prototypes: Array.from({ length: settings.heads }, () => config.k),
    seed: config.seed,
  });
  if (ctx.init) {
    // The prototypes stay zero: the first clustering fills them for this run's k.
    const current = head.namedWeights();
    const { weights, reason } = initHeadWeights(ctx.init, new Map([...current].map(([n, v]) => [n, v.shape])));
    if (weights) head.loadWeights(new Map([...current, ...weights]));
    ctx.log(weights ? `projection head from ${ctx.init.description}; prototypes re-created for k ${config.k}` : `new projection head: ${reason}`);
  }
  const params = namedParameters(model, 'body');
  for (const v of head.variables()) params.set([...head.namedWeights()].find(([, w]) => w === v)![0], v);
  const optimizer = new Sgd(params, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  const steps = stepsPerEpoch(dataset.size, Math.min(config.batchSize, dataset.size));
  const schedule = {
    base: config.lr,
    start: config.lr / 10,
    final: config.lr * settings.finalLrRatio,
    warmupSteps: Math.min(settings.warmupEpochs, Math.max(0, config.epochs - 1)) * steps,
    totalSteps: config.epochs * steps,
  };
  let startEpoch = 0;
  let resumed: V2Clustering | undefined;
  let previous: Int32Array | undefined;
  try {
    if (ctx.checkpointDir) {
      const ck = await loadCheckpoint(ctx.checkpointDir);
      const trunk = new Map([...ck.weights].filter(([name]) => !isHeadWeight(name) && !name.startsWith('top.')));
      model.loadWeights(trunk);
      head.loadWeights(ck.weights);
      const state = ck.optimizer?.state ?? new Map<string, tf.Tensor>();
      optimizer.importState(state);
      const assignments = [ck.assignments];
      for (let h = 1; h < settings.heads; h++) {
        const t = state.get(`${ASSIGNMENTS_PREFIX}${h}`);
        if (!t) throw new Error(`checkpoint ${ctx.checkpointDir} lacks the assignments of prototype set ${h}`);
        assignments.push(Int32Array.from(await t.data()));
      }
      tf.dispose([...ck.weights.values(), ...state.values()]);
      resumed = { assignments, centroids: [], meanSimilarity: [], bank: [] };
      previous = ck.assignments;
      startEpoch = ck.epoch + 1;
      ctx.log(`resuming ${ctx.runDir} after epoch ${ck.epoch} (${ctx.checkpointDir})`);
    }
    await ctx.onStart(startEpoch);
    const crops = multiCropFor(dataset.inputSize, settings.smallCrops);
    ctx.log(
      `recipe v2: ${settings.heads} x ${config.k} prototypes, batch ${config.batchSize} (${steps} steps an epoch), ` +
        `crops 2 x ${crops.large.size} px + ${crops.small.count} x ${crops.small.size} px, lr ${config.lr} (warm-up ${settings.warmupEpochs} epochs, cosine)`,
    );
    await runV2Epochs(
      { config, settings, model, head, optimizer, schedule, dataset, crops, progress: ctx.progress },
      startEpoch,
      resumed,
      (c) => {
        const m = ctx.clusterMetrics(c.assignments[0], undefined, asClustering(c, config.k));
        ctx.emitInitial({ epoch: startEpoch - 1, ...m });
        ctx.log(`before training: NMI(labels) ${m.nmiLabels?.toFixed(3) ?? '-'}  empty ${m.clusters.empty}/${m.clusters.k}`);
        previous = c.assignments[0];
      },
      async (epoch, c, loss, seconds) => {
        const clustering = asClustering(c, config.k);
        const metrics: EpochMetrics = { epoch, loss, ...ctx.clusterMetrics(c.assignments[0], previous, clustering), seconds: { ...seconds, epoch: 0 } };
        metrics.seconds.epoch = (seconds.training ?? 0) + (seconds.clustering ?? 0);
        const t0 = performance.now();
        ctx.progress.phase(epoch, 'checkpoint');
        const state = optimizer.exportState();
        for (let h = 1; h < c.assignments.length; h++) state.set(`${ASSIGNMENTS_PREFIX}${h}`, tf.tensor1d(c.assignments[h], 'int32'));
        const distances = centroidDistances(clustering);
        const weights = new Map<string, tf.Tensor>([...model.namedWeights(), ...head.namedWeights()]);
        try {
          const ref = await saveCheckpoint(ctx.runDir, {
            epoch,
            arch: config.arch,
            modelOptions: { ...model.options, head: { ...head.options, prototypes: [...head.options.prototypes] } },
            weights,
            optimizer: { state, config: { ...optimizer.options, recipe: 'v2' } },
            assignments: c.assignments[0],
            k: config.k,
            centroids: { data: c.centroids[0], shape: [config.k, settings.embeddingDim] },
            distances,
            exemplars: clusterExemplars(clustering, distances),
            labelHistograms: dataset.labels ? labelHistograms(c.assignments[0], config.k, dataset.labels, dataset.classNames) : undefined,
            metrics,
          }, { keep: config.keepCheckpoints, beforeRename: () => ctx.crashPoint?.(epoch) });
          metrics.seconds.checkpoint = (performance.now() - t0) / 1000;
          metrics.seconds.epoch += metrics.seconds.checkpoint;
          await ctx.onCheckpoint(epoch, ref.dir);
        } finally {
          tf.dispose([...state.values()]);
        }
        ctx.emitEpoch(metrics);
        previous = c.assignments[0];
      },
    );
  } finally {
    head.dispose();
    optimizer.dispose();
  }
}

/** The first prototype set's clustering in the loop's terms (what the grid, exemplars and metrics read). */
function asClustering(c: V2Clustering, k: number): Clustering {
  return {
    assignments: c.assignments[0],
    k,
    objective: c.meanSimilarity[0],
    centroids: c.centroids[0],
    reduced: c.bank[0],
    reducedDim: c.bank[0] && c.centroids[0] ? c.centroids[0].length / k : undefined,
  };
}

