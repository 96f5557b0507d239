// UMAP's fuzzy simplicial set (McInnes et al. 2018, umap-learn's fuzzy_simplicial_set) on typed arrays: per point
// a distance to its nearest neighbour (rho) and a bandwidth (sigma) so the memberships sum to log2(k), then the
// fuzzy union W + W^T - W.W^T. umap-js builds the same graph with string-keyed sparse maps, which took 16-18 s
// for 4 000 points on this loaded machine; this is linear in n*k.
import type { Knn } from './approxKnn';

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

export interface FuzzyGraph {
  /** Directed edges of the symmetric graph (both directions present), weight in (0, 1]. */
  head: Int32Array;
  tail: Int32Array;
  weight: Float32Array;
}

/** rho and sigma per point (umap-learn smooth_knn_dist with local_connectivity 1). */
export function smoothKnnDist(knn: Knn, n: number): { rho: Float64Array; sigma: Float64Array } {
  const k = knn.k;
  const target = Math.log2(k);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let meanAll = 0;
  for (let i = 0; i < knn.distances.length; i++) meanAll += knn.distances[i]!;
  meanAll /= Math.max(1, knn.distances.length);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let r = 0;
    for (let j = 0; j < k; j++) {
      const d = knn.distances[o + j]!;
      if (d > 0) {
        r = d;
        break;
      }
    }
    rho[i] = r;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let j = 0; j < k; j++) {
        const d = knn.distances[o + j]! - r;
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    // Floors from umap-learn, so a point among duplicates still gets a usable bandwidth.
    let meanI = 0;
    for (let j = 0; j < k; j++) meanI += knn.distances[o + j]!;
    meanI /= k;
    sigma[i] = Math.max(mid, MIN_K_DIST_SCALE * (r > 0 ? meanI : meanAll));
  }
  return { rho, sigma };
}

export function fuzzyGraph(knn: Knn, n: number): FuzzyGraph {
  const k = knn.k;
  const { rho, sigma } = smoothKnnDist(knn, n);
  const w = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const e = i * k + j;
      const nb = knn.indices[e]!;
      if (nb < 0 || nb === i) continue;
      const d = knn.distances[e]! - rho[i]!;
      w[e] = d <= 0 ? 1 : Math.exp(-d / sigma[i]!);
    }
  }
  /** Weight of the directed edge a -> b (0 when b is not among a's neighbours). */
  const weightOf = (a: number, b: number) => {
    for (let j = 0; j < k; j++) if (knn.indices[a * k + j] === b) return w[a * k + j]!;
    return 0;
  };
  const head: number[] = [];
  const tail: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const e = i * k + j;
      const nb = knn.indices[e]!;
      if (nb < 0 || nb === i || w[e] === 0) continue;
      const back = weightOf(nb, i);
      // An edge both points list is emitted once per direction from its lower end; a one-sided one from its owner.
      if (back > 0 && nb < i) continue;
      const v = w[e]! + back - w[e]! * back;
      head.push(i, nb);
      tail.push(nb, i);
      weight.push(v, v);
    }
  }
  return { head: Int32Array.from(head), tail: Int32Array.from(tail), weight: Float32Array.from(weight) };
}
