// `deepcluster eval CHECKPOINT|RUN [--test DATA]`: what training bought, measured. On labelled data, the quality
// report (pixels, the untrained network, this checkpoint's network) on a held-out split: a separate test set
// given with --test (read at the run's input size and normalised as the run's data), or a seeded 10% of the run's
// own images. Without labels it says so and shows what can be shown: NMI(t, t-1), cluster sizes, the objective.
// The report is also written to <run>/evaluations/<checkpoint>.json for the inspector and the curves panel.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../../protocol/config';
import type { QualityReport } from '../../protocol/events';
import { openCheckpointContext, AnalysisError } from '../analyze/checkpointContext';
import { Rng } from '../cluster';
import { openDataset, toTensorBatch, type Dataset } from '../data';
import { writeEvaluation } from '../../runfolder/evaluations';
import { epochSeed } from '../seeds';
import { heldOutSplit, type LabelledSplit } from './qualityReport';
import { formatQualityReport, qualityReport } from './report';
import { FEATURE_BATCH, type EvalData } from './featureSets';

export interface EvalOptions {
  target: string;
  test?: string;
  /** Use only the first N test images. */
  testLimit?: number;
  backend?: BackendRequest;
  log: (line: string) => void;
}

export interface EvalResult {
  checkpoint: string;
  epoch: number;
  report?: QualityReport;
  /** Why there is no report (no labels). */
  unlabelled?: string;
  file?: string;
}

export async function evaluateCheckpoint(opts: EvalOptions): Promise<EvalResult> {
  const ctx = await openCheckpointContext(opts.target, {
    backend: opts.backend,
    log: opts.log,
    forwardBatch: FEATURE_BATCH,
  });
  let test: Dataset | undefined;
  try {
    const { dataset, net, manifest } = ctx;
    const base = { checkpoint: ctx.dir, epoch: ctx.checkpoint.epoch };
    if (!dataset.labels) {
      const m = ctx.checkpoint.metrics;
      const lines = [
        `${ctx.dir}: the run's data has no labels, so accuracy cannot be measured (a folder of class subfolders, an IDX or CIFAR set has them; or pass --test DATA with labels).`,
        `what can be shown: NMI(t, t-1) ${m?.nmiPrev?.toFixed(3) ?? '-'}, clusters ${m?.clusters.k ?? '-'} (empty ${m?.clusters.empty ?? '-'}, largest ${m?.clusters.largest ?? '-'}, smallest ${m?.clusters.smallest ?? '-'}), clustering objective ${m?.clusteringObjective?.toFixed(4) ?? '-'}`,
      ];
      if (!opts.test) return { ...base, unlabelled: lines.join('\n') };
    }
    let data: EvalData = dataset;
    let split: LabelledSplit;
    let splitName: string;
    if (opts.test) {
      test = await openDataset({
        path: path.resolve(opts.test),
        inputSize: dataset.inputSize,
        limit: opts.testLimit,
        cacheDir: manifest.config.cacheDir,
      });
      if (!test.labels) throw new AnalysisError(`--test ${opts.test} has no labels`);
      if (test.channels !== dataset.channels)
        throw new AnalysisError(
          `--test ${opts.test} has ${test.channels} channels, the run's data ${dataset.channels}`,
        );
      if (!dataset.labels)
        throw new AnalysisError(`${ctx.dir}: the run's data has no labels to train the kNN bank and the probe on`);
      data = concatenated(dataset, test);
      const n = dataset.size;
      split = {
        train: Int32Array.from({ length: n }, (_, i) => i),
        test: Int32Array.from({ length: test.size }, (_, i) => n + i),
        labels: Int32Array.from([...dataset.labels, ...test.labels]),
      };
      splitName = `the test set ${opts.test}`;
    } else {
      split = heldOutSplit(dataset.labels!, 0.1, new Rng(epochSeed(manifest.config.seed, 0, 'holdout')).random);
      splitName = "a seeded 10% of the run's data";
    }
    net.removeTopLayer();
    const report = await qualityReport({
      trained: net,
      data,
      split,
      splitName,
      pixels: dataset.inputSize * dataset.inputSize * dataset.channels <= 4096,
      onStep: (what) => opts.log(`evaluating: ${what}`),
    });
    const file = await writeEvaluation(ctx.runDir, ctx.name, report);
    return { ...base, report, file };
  } finally {
    await test?.close();
    await ctx.close();
  }
}

/** The run's images, then the test images normalised with the run's statistics (the network's input). */
function concatenated(train: Dataset, test: Dataset): EvalData {
  return {
    size: train.size + test.size,
    evalBatch: async (indices) => {
      const a = Array.from(indices).filter((i) => i < train.size);
      const b = Array.from(indices)
        .filter((i) => i >= train.size)
        .map((i) => i - train.size);
      const parts: tf.Tensor4D[] = [];
      if (a.length) parts.push(await train.evalBatch(a));
      if (b.length)
        parts.push(
          toTensorBatch(await test.readBatch(b), b.length, test.inputSize, test.channels, train.normalization),
        );
      if (parts.length === 1) return parts[0];
      const x = tf.concat(parts, 0) as tf.Tensor4D;
      tf.dispose(parts);
      return x;
    },
  };
}

export function formatEvalResult(r: EvalResult): string {
  if (r.unlabelled) return r.unlabelled;
  return [`${r.checkpoint} (epoch ${r.epoch}):`, ...formatQualityReport(r.report!), `written to ${r.file}`].join('\n');
}
