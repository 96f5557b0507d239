// The v2 recipe in a run: builds the projection head, the optimizer and the schedule from the run's config and
// restores them from a checkpoint on `resume`. The method itself is loop.ts.
import type { TrainConfig } from '../../../protocol/config';
import type { Dataset } from '../../data';
import { multiCropFor } from '../../data/multiCrop';
import type { ConvNet } from '../../model/types';
import { ProjectionHead } from '../../model/projectionHead';
import type { ClusterMetrics } from '../../metrics/clusterMetrics';
import { namedParameters, Sgd } from '../sgd';
import { restoreV2Checkpoint } from './checkpoint';
import { runV2Epochs, stepsPerEpoch, type V2Clustering, type V2Run } from './loop';
import { defaultV2Settings } from './settings';
import { initHeadWeights, type InitWeights } from '../initFrom';

export interface V2RecipeContext extends Pick<V2Run, 'runDir' | 'progress' | 'onEpoch' | 'crashPoint'> {
  config: TrainConfig;
  dataset: Dataset;
  model: ConvNet;
  /** The checkpoint to resume from. */
  checkpointDir?: string;
  /** Called once the first epoch to run is known (after a checkpoint was restored). */
  onStart(startEpoch: number): Promise<void>;
  /** The clustering before any training, as epoch startEpoch - 1. */
  onInitial(metrics: ClusterMetrics & { epoch: number }): void;
  log(line: string): void;
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
    ctx.log(
      weights
        ? `projection head from ${ctx.init.description}; prototypes re-created for k ${config.k}`
        : `new projection head: ${reason}`,
    );
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
  try {
    if (ctx.checkpointDir) {
      const restored = await restoreV2Checkpoint({ config, model, head, optimizer }, ctx.checkpointDir);
      resumed = restored.clustering;
      startEpoch = restored.epoch + 1;
      ctx.log(`resuming ${ctx.runDir} after epoch ${restored.epoch} (${ctx.checkpointDir})`);
    }
    await ctx.onStart(startEpoch);
    const crops = multiCropFor(dataset.inputSize, settings.smallCrops);
    ctx.log(
      `recipe v2: ${settings.heads} x ${config.k} prototypes, batch ${config.batchSize} (${steps} steps an epoch), ` +
        `crops 2 x ${crops.large.size} px + ${crops.small.count} x ${crops.small.size} px, lr ${config.lr} (warm-up ${settings.warmupEpochs} epochs, cosine)`,
    );
    const onInitial = (m: ClusterMetrics) => {
      ctx.onInitial({ epoch: startEpoch - 1, ...m });
      ctx.log(
        `before training: NMI(labels) ${m.nmiLabels?.toFixed(3) ?? '-'}  empty ${m.clusters.empty}/${m.clusters.k}`,
      );
    };
    const { runDir, progress, onEpoch, crashPoint } = ctx;
    await runV2Epochs(
      {
        runDir,
        config,
        settings,
        model,
        head,
        optimizer,
        schedule,
        dataset,
        crops,
        progress,
        onInitial,
        onEpoch,
        crashPoint,
      },
      startEpoch,
      resumed,
    );
  } finally {
    head.dispose();
    optimizer.dispose();
  }
}
