// "Did training make my features better?": for each feature set, on a labelled dataset,
//   kNN-20 (cosine) accuracy of the held-out images against the training ones;
//   k-means at the number of classes (the 2018 pipeline: PCA-whitening to min(64, d) + L2, 20 iterations) on the
//     training images, NMI against their labels, mean and spread of 5 seeds;
//   a linear probe (logistic regression on frozen features) trained on the training images, scored held out.
// Labels are used only here, never in training.
import type { QualityRow } from '../../protocol/events';
import { AnalysisError } from '../analyze/errors';
import { kmeans, pcaWhiten } from '../cluster';
import { knnAccuracy, nmi } from '../metrics';
import type { FeatureSet } from './featureSets';
import { linearProbeAccuracy, type ProbeSplit } from './linearProbe';

export interface LabelledSplit {
  /** Indices of the training (bank) images and of the held-out ones, into the feature rows. */
  train: Int32Array;
  test: Int32Array;
  labels: Int32Array;
}

/** A fixed, seeded held-out fraction of a labelled dataset (every class keeps its share in expectation). */
export function heldOutSplit(labels: Int32Array, fraction: number, random: () => number): LabelledSplit {
  const n = labels.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.max(1, Math.floor(n * fraction));
  return { test: order.slice(0, nTest).sort(), train: order.slice(nTest).sort(), labels };
}

export interface QualityOptions {
  kmeansSeeds?: number;
  onStep?: (what: string) => void;
}

export async function evaluateFeatureSet(
  f: FeatureSet,
  split: LabelledSplit,
  opts: QualityOptions = {},
): Promise<QualityRow> {
  const classes = Math.max(...split.labels) + 1;
  const pick = (idx: Int32Array): ProbeSplit => {
    const data = new Float32Array(idx.length * f.d);
    idx.forEach((i, r) => data.set(f.data.subarray(i * f.d, (i + 1) * f.d), r * f.d));
    return { features: data, labels: Int32Array.from(idx, (i) => split.labels[i]), n: idx.length };
  };
  const train = pick(split.train);
  const test = pick(split.test);
  if (train.n < 20 || test.n < 1 || classes < 2) {
    throw new AnalysisError(
      `the quality report needs 20 training images, 1 held out and 2 classes; this data has ${train.n}, ${test.n} and ${classes}`,
    );
  }
  const t0 = performance.now();
  opts.onStep?.(`${f.name}: kNN-20`);
  const knn = await knnAccuracy(
    { data: train.features, n: train.n, d: f.d },
    train.labels,
    { data: test.features, n: test.n, d: f.d },
    test.labels,
    { k: 20 },
  );
  opts.onStep?.(`${f.name}: k-means at ${classes} clusters`);
  // k-means on the training images (those the network was trained on), against their labels.
  const reduced = (await pcaWhiten({ data: train.features, n: train.n, d: f.d }, Math.min(64, f.d, train.n))).features;
  const nmis: number[] = [];
  for (let s = 0; s < (opts.kmeansSeeds ?? 5); s++) {
    const r = await kmeans(reduced, classes, { iterations: 20, seed: 1000 + s });
    nmis.push(nmi(r.assignments, train.labels, 'geometric'));
  }
  opts.onStep?.(`${f.name}: linear probe`);
  const linear = await linearProbeAccuracy(train, test, f.d, classes);
  const mean = nmis.reduce((a, b) => a + b, 0) / nmis.length;
  const std = Math.sqrt(nmis.reduce((a, b) => a + (b - mean) ** 2, 0) / nmis.length);
  return {
    features: f.name,
    dim: f.d,
    knn20: knn,
    kmeansNmi: mean,
    kmeansNmiStd: std,
    linearProbe: linear,
    seconds: (performance.now() - t0) / 1000,
  };
}
