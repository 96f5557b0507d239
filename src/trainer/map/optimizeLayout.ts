// UMAP's layout optimisation (umap-learn optimize_layout_euclidean): SGD over the graph's edges, each sampled in
// proportion to its weight, with negative samples pushing random points apart, learning rate decaying linearly.
// Float32Array positions and edge arrays; umap-js's own loop works on number[][] (see fuzzyGraph.ts for why
// we do not use its graph). The curve parameters a, b come from umap-js's findABParams.
// Deep import: the package index re-exports only the UMAP class.
import { findABParams } from 'umap-js/dist/umap';
import type { Random } from '../cluster/rng';
import type { FuzzyGraph } from './fuzzyGraph';

export interface OptimizeOptions {
  epochs: number;
  minDist: number;
  random: Random;
  negativeSampleRate?: number;
  /** Called after each epoch; an awaited callback lets the caller yield and cancel. */
  onEpoch?: (done: number, total: number) => Promise<void> | void;
}

const clip = (v: number) => Math.min(4, Math.max(-4, v));

/** Moves `xy` (n x 2, updated in place) to fit the graph. */
export async function optimizeLayout(xy: Float32Array, graph: FuzzyGraph, o: OptimizeOptions): Promise<void> {
  const { a, b } = findABParams(1.0, o.minDist);
  const n = xy.length / 2;
  const m = graph.weight.length;
  const negRate = o.negativeSampleRate ?? 5;
  let maxW = 0;
  for (let i = 0; i < m; i++) maxW = Math.max(maxW, graph.weight[i]!);
  // Edges too weak to be sampled once in the run are dropped (umap-learn does the same).
  const perSample = new Float32Array(m);
  for (let i = 0; i < m; i++) perSample[i] = graph.weight[i]! < maxW / o.epochs ? -1 : maxW / graph.weight[i]!;
  const nextSample = Float32Array.from(perSample);
  const perNeg = Float32Array.from(perSample, (v) => v / negRate);
  const nextNeg = Float32Array.from(perNeg);
  const { head, tail } = graph;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const alpha = 1 - epoch / o.epochs;
    for (let e = 0; e < m; e++) {
      const ps = perSample[e]!;
      if (ps < 0 || nextSample[e]! > epoch) continue;
      const j = head[e]!;
      const k = tail[e]!;
      let dx = xy[2 * j]! - xy[2 * k]!;
      let dy = xy[2 * j + 1]! - xy[2 * k + 1]!;
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const pb = d2 ** b;
        const g = (-2 * a * b * pb) / d2 / (a * pb + 1);
        const gx = clip(g * dx) * alpha;
        const gy = clip(g * dy) * alpha;
        xy[2 * j] += gx;
        xy[2 * j + 1] += gy;
        xy[2 * k] -= gx;
        xy[2 * k + 1] -= gy;
      }
      nextSample[e] += ps;
      const negs = Math.floor((epoch - nextNeg[e]!) / perNeg[e]!);
      for (let p = 0; p < negs; p++) {
        const r = Math.floor(o.random() * n);
        if (r === j) continue;
        dx = xy[2 * j]! - xy[2 * r]!;
        dy = xy[2 * j + 1]! - xy[2 * r + 1]!;
        d2 = dx * dx + dy * dy;
        let gx = 4,
          gy = 4;
        if (d2 > 0) {
          const g = (2 * b) / ((0.001 + d2) * (a * d2 ** b + 1));
          gx = clip(g * dx);
          gy = clip(g * dy);
        }
        xy[2 * j] += gx * alpha;
        xy[2 * j + 1] += gy * alpha;
      }
      nextNeg[e] += Math.max(0, negs) * perNeg[e]!;
    }
    await o.onEpoch?.(epoch + 1, o.epochs);
  }
}
