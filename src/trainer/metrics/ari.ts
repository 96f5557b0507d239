// Adjusted Rand index (Hubert & Arabie), as sklearn.metrics.adjusted_rand_score.
import { contingency } from './contingency';

export function ari(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const t = contingency(a, b);
  const pairs = (m: number) => (m * (m - 1)) / 2;
  let index = 0;
  for (const nij of t.cells.values()) index += pairs(nij);
  const sumA = t.rows.reduce((s, m) => s + pairs(m), 0);
  const sumB = t.cols.reduce((s, m) => s + pairs(m), 0);
  const expected = (sumA * sumB) / Math.max(pairs(t.n), 1);
  const max = (sumA + sumB) / 2;
  // Identical trivial labelings (all one cluster, or all singletons) are a perfect match, as in sklearn.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
