// kNN classification accuracy of features on a held-out split (the final evaluation; the peer used kNN-20
// cosine). Majority vote over the k nearest training features by cosine similarity; vote ties go to the
// smallest label (as sklearn's KNeighborsClassifier with uniform weights). Similarities by matMul on the
// backend, in chunks of test rows.
import * as tf from '@tensorflow/tfjs-core';
import { chunkRows, type FeatureMatrix, rowsTensor, shapeOf } from '../cluster/features';

export interface KnnOptions {
  k?: number;
  metric?: 'cosine';
}

export async function knnAccuracy(
  trainFeatures: FeatureMatrix,
  trainLabels: ArrayLike<number>,
  testFeatures: FeatureMatrix,
  testLabels: ArrayLike<number>,
  opts: KnnOptions = {},
): Promise<number> {
  const k = opts.k ?? 20;
  const tr = shapeOf(trainFeatures);
  const te = shapeOf(testFeatures);
  if (tr.d !== te.d) throw new Error(`kNN: train features have ${tr.d} dimensions, test features ${te.d}`);
  if (k > tr.n) throw new Error(`kNN: k = ${k} is larger than the training set (${tr.n})`);
  const unit = (t: tf.Tensor2D) => tf.div(t, tf.maximum(tf.norm(t, 2, 1, true), 1e-12));
  const bank = tf.tidy(() => unit(rowsTensor(trainFeatures, 0, tr.n)));
  const step = chunkRows(tr.n);
  let correct = 0;
  const votes = new Map<number, number>();
  try {
    for (let s = 0; s < te.n; s += step) {
      const e = Math.min(te.n, s + step);
      const top = tf.tidy(() => tf.topk(tf.matMul(unit(rowsTensor(testFeatures, s, e)), bank, false, true), k).indices);
      const idx = await top.data();
      top.dispose();
      for (let q = 0; q < e - s; q++) {
        votes.clear();
        for (let m = 0; m < k; m++) {
          const label = trainLabels[idx[q * k + m]];
          votes.set(label, (votes.get(label) ?? 0) + 1);
        }
        let best = -1;
        let bestVotes = -1;
        for (const [label, v] of votes)
          if (v > bestVotes || (v === bestVotes && label < best)) [best, bestVotes] = [label, v];
        if (best === testLabels[s + q]) correct++;
      }
    }
  } finally {
    bank.dispose();
  }
  return te.n ? correct / te.n : 0;
}
