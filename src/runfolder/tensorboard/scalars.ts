// Which TensorBoard scalars a TrainerEvent becomes, and at which step. Epoch metrics sit at the global step of
// the epoch's end when the run records steps (the event log stamps it), else at the epoch index.
import type { EpochMetrics, Phase, TrainerEvent } from '../../protocol/events';
import type { Scalar } from './eventProto';

export interface TaggedScalars {
  /** Seconds since the Unix epoch (from the event's `t`). */
  wallTime: number;
  step: number;
  scalars: Scalar[];
}

const EPOCH_TAGS: [string, (m: EpochMetrics) => number | undefined][] = [
  ['epoch/loss', (m) => m.loss],
  ['epoch/nmi_prev', (m) => m.nmiPrev],
  ['epoch/nmi_labels', (m) => m.nmiLabels],
  ['epoch/nmi_labels_arithmetic', (m) => m.nmiLabelsArithmetic],
  ['epoch/ari', (m) => m.ari],
  ['epoch/accuracy', (m) => m.accuracy],
  ['epoch/purity', (m) => m.purity],
  ['epoch/kmeans_objective', (m) => m.clusteringObjective],
  ['clusters/empty', (m) => m.clusters?.empty],
  ['clusters/largest', (m) => m.clusters?.largest],
  ['clusters/smallest', (m) => m.clusters?.smallest],
  ...(['epoch', 'features', 'clustering', 'training', 'checkpoint', 'evaluation'] as (Phase | 'epoch')[]).map(
    (p): [string, (m: EpochMetrics) => number | undefined] => [`seconds/${p}`, (m) => m.seconds?.[p]],
  ),
];

/** The scalars of one event, or undefined when it carries none. Non-finite values are left out. */
export function scalarsOf(e: TrainerEvent): TaggedScalars | undefined {
  const wallTime = Date.parse(e.t) / 1000;
  const pick = (pairs: [string, number | undefined][]): Scalar[] =>
    pairs
      .filter((p): p is [string, number] => typeof p[1] === 'number' && Number.isFinite(p[1]))
      .map(([tag, value]) => ({ tag, value }));
  switch (e.type) {
    case 'step':
      return {
        wallTime,
        step: e.step,
        scalars: pick([
          ['train/loss', e.loss],
          ['train/lr', e.lr],
          ['train/images_per_second', e.imagesPerSecond],
          ...(e.headLosses ?? []).map((l, i): [string, number] => [`train/head_${i}_loss`, l]),
        ]),
      };
    case 'epoch':
      return {
        wallTime,
        step: e.step ?? e.metrics.epoch,
        scalars: pick(EPOCH_TAGS.map(([tag, get]) => [tag, get(e.metrics)])),
      };
    case 'evaluation':
      return e.knnAccuracy === undefined
        ? undefined
        : { wallTime, step: e.step ?? 0, scalars: pick([['eval/knn_accuracy', e.knnAccuracy]]) };
    default:
      return undefined;
  }
}
