// Normalised mutual information, as scikit-learn computes it (natural log), with a choice of normaliser:
// 'geometric' sqrt(H(A) H(B)) is the paper's definition; 'arithmetic' (H(A)+H(B))/2 is sklearn's default since 0.22.
import { contingency } from './contingency';

export type NmiNormaliser = 'geometric' | 'arithmetic';

export function nmi(a: ArrayLike<number>, b: ArrayLike<number>, normaliser: NmiNormaliser = 'geometric'): number {
  const t = contingency(a, b);
  // sklearn: both labelings a single cluster (or empty) is a perfect match.
  if ((t.rows.length === 1 && t.cols.length === 1) || t.n === 0) return 1;
  const n = t.n;
  let mi = 0;
  for (const [key, nij] of t.cells) {
    const i = Math.floor(key / t.cols.length);
    const j = key % t.cols.length;
    mi += (nij / n) * (Math.log(nij) + Math.log(n) - Math.log(t.rows[i]) - Math.log(t.cols[j]));
  }
  mi = Math.max(mi, 0);
  const ha = entropy(t.rows, n);
  const hb = entropy(t.cols, n);
  const norm = normaliser === 'geometric' ? Math.sqrt(ha * hb) : (ha + hb) / 2;
  return mi / Math.max(norm, Number.EPSILON);
}

function entropy(counts: number[], n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}
