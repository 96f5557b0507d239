// Feature matrices arrive either on the host (Float32Array, N x D row-major) or on the backend (tf.Tensor2D).
// These helpers let each clustering step take either without copying the whole matrix twice.
import * as tf from '@tensorflow/tfjs-core';

/** N x D float32 matrix, row-major, on the host. */
export interface HostMatrix {
  data: Float32Array;
  n: number;
  d: number;
}

export type FeatureMatrix = HostMatrix | tf.Tensor2D;

export function isTensor(x: FeatureMatrix): x is tf.Tensor2D {
  return x instanceof tf.Tensor;
}

export function shapeOf(x: FeatureMatrix): { n: number; d: number } {
  return isTensor(x) ? { n: x.shape[0], d: x.shape[1] } : { n: x.n, d: x.d };
}

/** The host copy (reads the tensor back once; a host matrix is returned as is). */
export async function toHost(x: FeatureMatrix): Promise<HostMatrix> {
  if (!isTensor(x)) return x;
  return { data: (await x.data()) as Float32Array, n: x.shape[0], d: x.shape[1] };
}

/** Rows [start, end) as a backend tensor; the caller disposes it. */
export function rowsTensor(x: FeatureMatrix, start: number, end: number): tf.Tensor2D {
  if (isTensor(x)) return tf.slice(x, [start, 0], [end - start, x.shape[1]]);
  return tf.tensor2d(x.data.subarray(start * x.d, end * x.d), [end - start, x.d]);
}

/**
 * How many rows to process at once so that the widest intermediate (rows x width floats) stays under
 * `budgetFloats` (default 16 M floats = 64 MiB), at least 1 row.
 */
export function chunkRows(width: number, budgetFloats = 1 << 24): number {
  return Math.max(1, Math.floor(budgetFloats / Math.max(1, width)));
}
