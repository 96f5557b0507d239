// Clustering accuracy: the best one-to-one matching of clusters to classes (Hungarian), as the fraction of
// points whose matched class is right. With more clusters than classes, only as many clusters as classes are
// matched and the rest count as wrong; `purity` (each cluster votes its majority class) is the many-to-one view.
import { contingency } from './contingency';
import { maxWeightMatching } from './hungarian';

export function hungarianAccuracy(clusters: ArrayLike<number>, labels: ArrayLike<number>): number {
  const t = contingency(clusters, labels);
  const r = t.rows.length;
  const c = t.cols.length;
  const w = new Float64Array(r * c);
  for (const [key, nij] of t.cells) w[key] = nij;
  const match = maxWeightMatching(w, r, c);
  let correct = 0;
  match.forEach((j, i) => j >= 0 && (correct += w[i * c + j]));
  return t.n ? correct / t.n : 1;
}

export function purity(clusters: ArrayLike<number>, labels: ArrayLike<number>): number {
  const t = contingency(clusters, labels);
  const best = new Array<number>(t.rows.length).fill(0);
  for (const [key, nij] of t.cells) {
    const i = Math.floor(key / t.cols.length);
    best[i] = Math.max(best[i], nij);
  }
  return t.n ? best.reduce((s, v) => s + v, 0) / t.n : 1;
}
