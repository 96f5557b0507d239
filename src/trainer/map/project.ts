// Principal-component projection for the embedding map: the features' top directions, not whitened (whitening
// would give the noise directions the same weight as the structure), so the neighbour search works on ~32
// dimensions instead of 512-4096. The covariance and eigenvectors come from the clustering's own PCA code.
import { fitPca } from '../cluster/pca';
import type { HostMatrix } from '../cluster/features';

export async function principalComponents(x: HostMatrix, dim: number): Promise<HostMatrix> {
  const out = Math.min(dim, x.d, x.n);
  if (out === x.d) return x;
  const t = await fitPca(x, out);
  const y = new Float32Array(x.n * out);
  const centred = new Float32Array(x.d);
  for (let i = 0; i < x.n; i++) {
    for (let j = 0; j < x.d; j++) centred[j] = x.data[i * x.d + j]! - t.mean[j]!;
    for (let c = 0; c < out; c++) {
      let s = 0;
      for (let j = 0, o = c * x.d; j < x.d; j++) s += centred[j]! * t.components[o + j]!;
      y[i * out + c] = s;
    }
  }
  return { data: y, n: x.n, d: out };
}
