// Power Iteration Clustering, the official alternative to k-means (deepcluster.md 3; clustering.py PIC).
// The number of clusters comes out of the data.
import type { FeatureMatrix } from './features';
import { knnGraph } from './knnGraph';
import { imagesLists } from './pseudoLabels';

export interface PicOptions {
  sigma?: number;
  /** Neighbours per node (the point itself excluded). */
  nnn?: number;
  alpha?: number;
  distributeSingletons?: boolean;
  /** Power iterations (official: 200). */
  iterations?: number;
}

export interface PicResult {
  assignments: Int32Array;
  /** Number of clusters found (all non-empty). */
  k: number;
  /** PIC has no objective; the official code reports 0. */
  objective: number;
}

export async function pic(x: FeatureMatrix, opts: PicOptions = {}): Promise<PicResult> {
  const sigma = opts.sigma ?? 0.2;
  const nnn = opts.nnn ?? 5;
  const alpha = opts.alpha ?? 0.001;
  const graph = await knnGraph(x, nnn + 1);
  const n = graph.indices.length / graph.k;
  const w = symmetricAdjacency(graph.indices, graph.distances, n, nnn + 1, sigma);
  const v = powerIterations(w, n, alpha, opts.iterations ?? 200);
  let clust = findMaximaClusters(w, v, n);
  if (opts.distributeSingletons ?? true) clust = distributeSingletons(clust, graph.indices, nnn + 1);
  // Renumber clusters 0..m-1 in increasing order of their old ids (the official dict order).
  const ids = Array.from(new Set(clust)).sort((a, b) => a - b);
  const newId = new Map(ids.map((c, i) => [c, i]));
  const assignments = Int32Array.from(clust, (c) => newId.get(c)!);
  return { assignments, k: ids.length, objective: 0 };
}

/** CSR sparse matrix. */
interface Csr {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/** make_adjacencyW then W = A + A^T: w_ij = exp(-d_ij / sigma^2) over the neighbours (self column dropped). */
function symmetricAdjacency(I: Int32Array, D: Float32Array, n: number, kk: number, sigma: number): Csr {
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let m = 1; m < kk; m++) {
      const j = I[i * kk + m];
      const wgt = Math.exp(-D[i * kk + m] / (sigma * sigma));
      rows[i].set(j, (rows[i].get(j) ?? 0) + wgt);
      rows[j].set(i, (rows[j].get(i) ?? 0) + wgt);
    }
  }
  const indptr = new Int32Array(n + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.size));
  const indices = new Int32Array(indptr[n]);
  const data = new Float64Array(indptr[n]);
  rows.forEach((r, i) => {
    // Sorted columns, as scipy's CSR sum: the scan order decides ties in findMaximaClusters.
    const cols = Array.from(r.keys()).sort((a, b) => a - b);
    cols.forEach((j, m) => {
      indices[indptr[i] + m] = j;
      data[indptr[i] + m] = r.get(j)!;
    });
  });
  return { indptr, indices, data };
}

/** run_pic: v <- alpha W^T v + (1 - alpha)/N, L1-normalised, from v0 = 1/N; v acts as a local-density "height". */
function powerIterations(w: Csr, n: number, alpha: number, iterations: number): Float64Array {
  let v = new Float64Array(n).fill(1 / n);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let l = w.indptr[i]; l < w.indptr[i + 1]; l++) next[w.indices[l]] += w.data[l] * v[i]; // W^T v
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += next[i] = alpha * next[i] + (1 - alpha) / n;
    for (let i = 0; i < n; i++) next[i] /= sum;
    v = next;
  }
  return v;
}

/** find_maxima_cluster: every node points to the neighbour maximising w_ij (v_j - v_i) > 0; follow to a local maximum. */
function findMaximaClusters(w: Csr, v: Float64Array, n: number): Int32Array {
  const pointers = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    pointers[i] = i;
    let best = 0;
    for (let l = w.indptr[i]; l < w.indptr[i + 1]; l++) {
      const j = w.indices[l];
      const gain = w.data[l] * (v[j] - v[i]);
      if (gain > best) {
        best = gain;
        pointers[i] = j;
      }
    }
  }
  const clusterIds = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) if (pointers[i] === i) clusterIds[i] = count++;
  const assign = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let node = i;
    while (pointers[node] !== node) node = pointers[node];
    assign[i] = clusterIds[node];
  }
  return assign;
}

/** Each singleton joins the cluster of its nearest neighbour that is not itself a singleton (decided before any move). */
function distributeSingletons(clust: Int32Array, I: Int32Array, kk: number): Int32Array {
  const maxId = clust.reduce((m, c) => Math.max(m, c), 0);
  const lists = imagesLists(clust, maxId + 1);
  const moves: [number, number][] = [];
  for (const members of lists) {
    if (members.length !== 1) continue;
    const s = members[0];
    for (let m = 1; m < kk; m++) {
      const nb = I[s * kk + m];
      if (lists[clust[nb]].length !== 1) {
        moves.push([s, nb]);
        break;
      }
    }
  }
  const out = Int32Array.from(clust);
  for (const [s, nb] of moves) out[s] = clust[nb];
  return out;
}
