// PCA whitening then L2 normalisation (deepcluster.md 1.3; faiss PCAMatrix with eigen_power -0.5).
// The covariance is accumulated in float64 from float32 products of row chunks computed on the backend, so
// no N x D float64 copy ever exists. faiss does the same (sgemm, then a double eigendecomposition).
import * as tf from '@tensorflow/tfjs-core';
import { topEigenpairs } from './eigen';
import { chunkRows, type FeatureMatrix, type HostMatrix, isTensor, rowsTensor, shapeOf } from './features';

/** What a checkpoint stores to whiten new images the same way: y = normalize(((x - mean) . components^T) * scales). */
export interface PcaTransform {
  inputDim: number;
  outputDim: number;
  mean: Float32Array;
  /** outputDim x inputDim, row j = j-th principal direction (largest variance first). */
  components: Float32Array;
  /** lambda_j^(-1/2), lambda_j = eigenvalue of the covariance (divided by N). */
  scales: Float32Array;
  /** The eigenvalues, for inspection. */
  eigenvalues: Float32Array;
}

export interface PcaResult {
  /** N x dim, whitened and L2-normalised. */
  features: HostMatrix;
  transform: PcaTransform;
}

/** Fit PCA whitening to `dim` dimensions on all rows, apply it, and L2-normalise each row. */
export async function pcaWhiten(features: FeatureMatrix, dim: number): Promise<PcaResult> {
  const transform = await fitPca(features, dim);
  return { features: await applyPca(transform, features), transform };
}

export async function fitPca(features: FeatureMatrix, dim: number): Promise<PcaTransform> {
  const { n, d } = shapeOf(features);
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`PCA: the output size must be a positive integer (got ${dim})`);
  if (dim > d) throw new Error(`--pca ${dim} is larger than the feature size ${d}`);
  if (dim > n) throw new Error(`--pca ${dim} is larger than the number of images ${n}`);
  const mean = await columnMean(features);
  const cov = await covariance(features, mean);
  const { values, vectors } = await topEigenpairs(cov, d, dim);
  // Directions with ~zero variance would be blown up to noise; floor lambda relative to the largest.
  const floor = Math.max(values[0], 0) * 1e-12 + Number.MIN_VALUE;
  const scales = Float32Array.from(values, (l) => 1 / Math.sqrt(Math.max(l, floor)));
  return {
    inputDim: d,
    outputDim: dim,
    mean: Float32Array.from(mean),
    components: Float32Array.from(vectors),
    scales,
    eigenvalues: Float32Array.from(values),
  };
}

/** Whiten and L2-normalise rows with a fitted transform (also for new images at inspection time). */
export async function applyPca(t: PcaTransform, features: FeatureMatrix): Promise<HostMatrix> {
  const { n, d } = shapeOf(features);
  if (d !== t.inputDim) throw new Error(`PCA: features have ${d} dimensions, the transform expects ${t.inputDim}`);
  const out = new Float32Array(n * t.outputDim);
  const w = tf.tidy(() => tf.mul(tf.transpose(tf.tensor2d(t.components, [t.outputDim, d])), tf.tensor1d(t.scales)));
  const mu = tf.tensor1d(t.mean);
  const step = chunkRows(Math.max(d, t.outputDim));
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    const y = tf.tidy(() => {
      const z = tf.matMul(tf.sub(rowsTensor(features, s, e), mu), w);
      // No epsilon guard in the official code; a zero row would only come from a point equal to the mean.
      return tf.div(z, tf.maximum(tf.norm(z, 2, 1, true), 1e-30));
    });
    out.set(await y.data(), s * t.outputDim);
    y.dispose();
  }
  w.dispose();
  mu.dispose();
  return { data: out, n, d: t.outputDim };
}

async function columnMean(features: FeatureMatrix): Promise<Float64Array> {
  const { n, d } = shapeOf(features);
  const mean = new Float64Array(d);
  if (isTensor(features)) {
    const m = tf.tidy(() => tf.mean(features, 0));
    mean.set(await m.data());
    m.dispose();
    return mean;
  }
  const x = features.data;
  for (let i = 0; i < n; i++) for (let j = 0, o = i * d; j < d; j++) mean[j] += x[o + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/** (1/N) sum_i (x_i - mu)(x_i - mu)^T, float32 chunk products summed in float64. */
async function covariance(features: FeatureMatrix, mean: Float64Array): Promise<Float64Array> {
  const { n, d } = shapeOf(features);
  const cov = new Float64Array(d * d);
  const mu = tf.tensor1d(Float32Array.from(mean));
  const step = Math.min(4096, chunkRows(d));
  for (let s = 0; s < n; s += step) {
    const e = Math.min(n, s + step);
    const part = tf.tidy(() => {
      const xc = tf.sub(rowsTensor(features, s, e), mu);
      // An explicit transpose: wasm's matMul with a transposed operand is several times slower.
      return tf.matMul(tf.transpose(xc), xc);
    });
    const v = await part.data();
    part.dispose();
    for (let i = 0; i < v.length; i++) cov[i] += v[i];
  }
  mu.dispose();
  for (let i = 0; i < cov.length; i++) cov[i] /= n;
  return cov;
}

/**
 * The whitening as one matrix (components scaled by their whitening factors, outputDim x inputDim), so that
 * x -> matrix (x - mean): what a checkpoint stores and what `embed`/`cluster --model` apply.
 */
export function whiteningMatrix(t: PcaTransform): Float32Array {
  const matrix = new Float32Array(t.components.length);
  for (let j = 0; j < t.outputDim; j++)
    for (let i = 0; i < t.inputDim; i++) matrix[j * t.inputDim + i] = t.components[j * t.inputDim + i]! * t.scales[j]!;
  return matrix;
}
