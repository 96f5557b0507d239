// The end-of-training evaluation on labelled data: the quality report (pixels / untrained / trained network) on
// a fixed, seeded 10% held-out split, as one `evaluation` event and a table in the log.
import type { TrainConfig } from '../../protocol/config';
import { checkpointDirName } from '../../runfolder/layout';
import { writeEvaluation } from '../../runfolder/evaluations';
import type { Phase } from '../../protocol/events';
import { Rng } from '../cluster';
import type { Dataset } from '../data';
import { formatQualityReport, qualityReport } from '../eval/report';
import { heldOutSplit } from '../eval/qualityReport';
import type { ConvNet } from '../model/types';
import type { EventLog } from '../../runfolder/events';
import { epochSeed } from '../seeds';

export async function evaluateRun(
  runDir: string,
  model: ConvNet,
  dataset: Dataset,
  config: TrainConfig,
  events: EventLog,
  opts: { log: (line: string) => void },
  emitPhase: (epoch: number, phase: Phase) => void,
): Promise<void> {
  emitPhase(config.epochs - 1, 'evaluation');
  model.removeTopLayer();
  const split = heldOutSplit(dataset.labels!, 0.1, new Rng(epochSeed(config.seed, 0, 'holdout')).random);
  const classes = new Set(dataset.labels!).size;
  // kNN-20 needs 20 training images, k-means and the probe at least two classes.
  if (split.train.length < 20 || classes < 2) {
    opts.log(
      `no quality report: ${dataset.size} labelled image(s) in ${classes} class(es) are too few (it needs 2 classes and 23 images or more)`,
    );
    return;
  }
  const pixels = dataset.inputSize * dataset.inputSize * dataset.channels <= 4096;
  const report = await qualityReport({
    trained: model,
    data: dataset,
    split,
    splitName: 'a seeded 10% of this dataset',
    pixels,
  });
  const trained = report.rows.find((r) => r.features === 'trained')!;
  events.emit({ type: 'evaluation', knnAccuracy: trained.knn20, k: 20, heldOut: split.test.length, quality: report });
  // Beside `deepcluster eval`'s reports, so the inspector finds it for the last checkpoint.
  await writeEvaluation(runDir, checkpointDirName(config.epochs - 1), report);
  for (const line of formatQualityReport(report)) opts.log(line);
}
