// Top-activating dataset images (the official `visu/activ-retrieval.py`): one pass over the whole dataset in
// order; an image's score for a filter is the spatial mean of the filter's post-BatchNorm-ReLU activation; every
// filter keeps its best `count` images. The same pass with the top layer's logits gives, for each cluster, the
// images its unit responds to most.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvNet } from '../model';
import { RunningTopK } from './runningTopK';

/** The part of a Dataset a feature pass needs. */
export interface EvalSource {
  readonly size: number;
  evalBatch(indices: ArrayLike<number>): Promise<tf.Tensor4D>;
}

export interface PassOptions {
  /** Images per forward pass (default 128). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface UnitTop {
  indices: number[];
  scores: number[];
}

/** Scores every image with `score` (n x units), keeps the top `count` per unit. */
export async function rankImagesPerUnit(
  data: EvalSource,
  units: number,
  count: number,
  score: (x: tf.Tensor4D) => tf.Tensor2D,
  options: PassOptions = {},
): Promise<UnitTop[]> {
  const batchSize = options.batchSize ?? 128;
  const top = new RunningTopK(units, Math.min(count, data.size));
  for (let start = 0; start < data.size; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
    const x = await data.evalBatch(idx);
    const s = tf.tidy(() => score(x));
    x.dispose();
    const rows = await s.data();
    s.dispose();
    top.push(rows, idx);
    options.onProgress?.(start + idx.length, data.size);
  }
  return Array.from({ length: units }, (_, u) => top.top(u));
}

/** For every filter of a conv layer: the dataset images with the highest mean post-ReLU activation. */
export function topActivatingImages(
  net: ConvNet,
  data: EvalSource,
  layer: string,
  count: number,
  options: PassOptions = {},
): Promise<UnitTop[]> {
  const filters = net.namedWeights().get(`${layer}.bias`)?.shape[0];
  if (filters === undefined)
    throw new Error(`unknown conv layer "${layer}"; valid: ${net.convLayerNames().join(', ')}`);
  return rankImagesPerUnit(
    data,
    filters,
    count,
    (x) => tf.mean(net.convActivations(x, layer), [1, 2]) as tf.Tensor2D,
    options,
  );
}

/** For every cluster: the images with the highest logit of the cluster's unit in the top layer. */
export function topImagesByClusterUnit(
  net: ConvNet,
  data: EvalSource,
  count: number,
  options: PassOptions = {},
): Promise<UnitTop[]> {
  if (net.k === 0) throw new Error('the checkpoint has no top layer (no top.* weights)');
  return rankImagesPerUnit(data, net.k, count, (x) => net.logits(x, false), options);
}
