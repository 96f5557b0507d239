// The 2-D layout of an embedding map: PCA to a few dozen dimensions, approximate kNN, then UMAP (our typed-array
// graph and optimiser, umap-js's curve fit: see fuzzyGraph.ts for why), or just the first two principal components (`pca`, instant, for a quick look). Deterministic
// for a seed. Epochs shrink as the point count grows so that 60 000 points fit the 3-minute budget on 2 cores
// (measured by src/bench/map.ts; UMAP's own default is 200 above 10 000 points).
import type { HostMatrix } from '../cluster/features';
import { Rng } from '../cluster/rng';
import type { MapMethod } from '../../protocol/embeddingMap';
import { approximateKnn } from './approxKnn';
import { fuzzyGraph } from './fuzzyGraph';
import { optimizeLayout } from './optimizeLayout';
import { principalComponents } from './project';

export interface LayoutOptions {
  method: MapMethod;
  seed?: number;
  /** Dimensions kept by the PCA before the neighbour search (default 32). */
  pcaDim?: number;
  nNeighbors?: number;
  /** UMAP optimisation epochs (default: from the point count, see epochsFor). */
  epochs?: number;
  minDist?: number;
  onProgress?: (phase: 'pca' | 'knn' | 'layout', done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface Layout {
  /** n x 2, row-major, scaled into [-1, 1] (aspect kept). */
  xy: Float32Array;
  params: { method: MapMethod; pcaDim: number; nNeighbors?: number; epochs?: number; minDist?: number; seed: number };
  seconds: { pca: number; knn: number; layout: number };
}

/** UMAP epochs by point count: 200 up to 10 000 points (umap-learn's rule from noise), fewer above: the PCA start
 *  already has the global arrangement, and the budget is what 2 cores allow (src/bench/map.ts). */
export function epochsFor(n: number): number {
  if (n <= 10_000) return 200;
  if (n <= 30_000) return 100;
  return 60;
}

/** Input the layout cannot work with: one line for the person (the CLI prints it, exit 2). */
export class LayoutError extends Error {}

export class LayoutCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export async function computeLayout(x: HostMatrix, o: LayoutOptions): Promise<Layout> {
  const seed = o.seed ?? 0;
  const rng = new Rng(seed);
  const random = () => rng.float();
  const check = () => {
    if (o.signal?.aborted) throw new LayoutCancelled();
  };
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const s = (now - t) / 1000;
    t = now;
    return s;
  };
  if (o.method === 'pca') {
    o.onProgress?.('pca', 0, 1);
    const y = await principalComponents(x, 2);
    o.onProgress?.('pca', 1, 1);
    return {
      xy: fitSquare(padTo2(y)),
      params: { method: 'pca', pcaDim: 2, seed },
      seconds: { pca: lap(), knn: 0, layout: 0 },
    };
  }
  const pcaDim = o.pcaDim ?? 32;
  const nNeighbors = Math.min(o.nNeighbors ?? 15, x.n - 1);
  if (nNeighbors < 2) throw new LayoutError(`the map needs at least 3 images, got ${x.n}`);
  o.onProgress?.('pca', 0, 1);
  const reduced = await principalComponents(x, pcaDim);
  o.onProgress?.('pca', 1, 1);
  const pca = lap();
  check();
  const knn = approximateKnn(reduced.data, reduced.n, reduced.d, nNeighbors, {
    random,
    onProgress: (d, total) => o.onProgress?.('knn', d, total),
  });
  const knnSeconds = lap();
  check();
  const epochs = o.epochs ?? epochsFor(x.n);
  const minDist = o.minDist ?? 0.1;
  const graph = fuzzyGraph(knn, x.n);
  // Start from the first two principal components (umap-learn's init='pca'; its default is a spectral
  // embedding): the global arrangement is right from the start, so far fewer epochs are needed than from noise.
  const xy = new Float32Array(x.n * 2);
  for (let i = 0; i < x.n; i++) {
    xy[2 * i] = reduced.data[i * reduced.d]!;
    xy[2 * i + 1] = reduced.d > 1 ? reduced.data[i * reduced.d + 1]! : 0;
  }
  const start = fitSquare(xy);
  for (let i = 0; i < xy.length; i++) xy[i] = start[i]! * 10 + (random() - 0.5) * 1e-4;
  await optimizeLayout(xy, graph, {
    epochs,
    minDist,
    random,
    onEpoch: async (done, total) => {
      o.onProgress?.('layout', done, total);
      // Let signals and progress writes through now and then.
      if (done % 10 === 0) {
        await new Promise((r) => setImmediate(r));
        check();
      }
    },
  });
  return {
    xy: fitSquare(xy),
    params: { method: 'umap', pcaDim: reduced.d, nNeighbors, epochs, minDist, seed },
    seconds: { pca, knn: knnSeconds, layout: lap() },
  };
}

/** One-dimensional features give a line: a zero second coordinate. */
function padTo2(y: HostMatrix): Float32Array {
  if (y.d === 2) return y.data;
  const out = new Float32Array(y.n * 2);
  for (let i = 0; i < y.n; i++) out[2 * i] = y.data[i * y.d]!;
  return out;
}

/** Centre and scale into [-1, 1] on the longer side, keeping the aspect ratio. */
export function fitSquare(xy: Float32Array): Float32Array {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    x0 = Math.min(x0, xy[i]!);
    x1 = Math.max(x1, xy[i]!);
    y0 = Math.min(y0, xy[i + 1]!);
    y1 = Math.max(y1, xy[i + 1]!);
  }
  const half = Math.max(x1 - x0, y1 - y0, 1e-12) / 2;
  const cx = (x0 + x1) / 2,
    cy = (y0 + y1) / 2;
  const out = new Float32Array(xy.length);
  for (let i = 0; i < xy.length; i += 2) {
    out[i] = (xy[i]! - cx) / half;
    out[i + 1] = (xy[i + 1]! - cy) / half;
  }
  return out;
}
