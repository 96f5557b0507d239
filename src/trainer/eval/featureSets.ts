// The three feature sets the quality report compares, in dataset order: raw pixels (normalised, flattened), the
// untrained network (same architecture and seed, before any step) and the trained network; for a network, its
// `features()` in eval mode on the centre view (fc7 before ReLU for the 2018 models, the pooled trunk for resnet).
import * as tf from '@tensorflow/tfjs-core';
import type { ConvNet } from '../model/types';

export interface EvalData {
  size: number;
  evalBatch(indices: ArrayLike<number>): Promise<tf.Tensor4D>;
}

export interface FeatureSet {
  name: 'pixels' | 'untrained' | 'trained';
  data: Float32Array;
  n: number;
  d: number;
}

/** Images a forward batch of the network takes (what `auto` times for eval). */
export const FEATURE_BATCH = 256;

export async function networkFeatures(
  model: ConvNet,
  data: EvalData,
  batchSize = FEATURE_BATCH,
  onProgress?: (done: number, total: number) => void,
): Promise<{ data: Float32Array; n: number; d: number }> {
  const n = data.size;
  const d = model.featureDim;
  const out = new Float32Array(n * d);
  for (let start = 0; start < n; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const x = await data.evalBatch(idx);
    const f = tf.tidy(() => model.features(x));
    out.set(await f.data(), start * d);
    tf.dispose([x, f]);
    onProgress?.(start + idx.length, n);
  }
  return { data: out, n, d };
}

export async function pixelFeatures(
  data: EvalData,
  batchSize = 512,
): Promise<{ data: Float32Array; n: number; d: number }> {
  const n = data.size;
  let out: Float32Array | undefined;
  let d = 0;
  for (let start = 0; start < n; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const x = await data.evalBatch(idx);
    d = x.shape[1] * x.shape[2] * x.shape[3];
    out ??= new Float32Array(n * d);
    out.set(await x.data(), start * d);
    x.dispose();
  }
  return { data: out ?? new Float32Array(0), n, d };
}
