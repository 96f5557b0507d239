// Top eigenpairs of a symmetric D x D matrix (the feature covariance), in float64.
// Small D (<= EXACT_MAX_DIM, e.g. smallvgg's 512): ml-matrix's exact symmetric EVD (Householder + QL).
// Large D (4096 for alexnet/vgg16): exact EVD in JS takes minutes, so we use randomized subspace iteration
// (Halko, Martinsson & Tropp 2011): the products C*Q run on the TF.js backend, orthonormalisation and the small
// Rayleigh-Ritz problem in float64 on the host.
import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Rng } from './rng';

export interface Eigenpairs {
  /** Largest first. */
  values: Float64Array;
  /** `count` eigenvectors of length D, row j is the j-th eigenvector. */
  vectors: Float64Array;
}

export const EXACT_MAX_DIM = 1024;

/** Subspace iterations for large D. Measured on D = 4096, 256 pairs, known spectra lambda_m = m^-a (2 cores):
 *  6 iterations take ~10.5 s and leave the 256th eigenvalue 1.3% (a = 1), 4.3% (a = 0.5), 8.3% (a = 0.25) low;
 *  12 take ~17 s and leave 0.06%, 0.7%, 2.3%. Leading eigenvalues are within ~1e-5 either way. An AlexNet epoch
 *  on a CPU takes many minutes, so the accuracy is worth the 6 s. */
export const SUBSPACE_ITERATIONS = 12;

export async function topEigenpairs(
  c: Float64Array,
  dim: number,
  count: number,
  opts: { exact?: boolean; iterations?: number } = {},
): Promise<Eigenpairs> {
  const exact = opts.exact ?? dim <= EXACT_MAX_DIM;
  return exact
    ? exactTopEigenpairs(c, dim, count)
    : subspaceTopEigenpairs(c, dim, count, opts.iterations ?? SUBSPACE_ITERATIONS);
}

function exactTopEigenpairs(c: Float64Array, dim: number, count: number): Eigenpairs {
  const rows: number[][] = [];
  for (let i = 0; i < dim; i++) rows.push(Array.from(c.subarray(i * dim, (i + 1) * dim)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const all = evd.realEigenvalues;
  const v = evd.eigenvectorMatrix;
  const order = all
    .map((_, i) => i)
    .sort((a, b) => all[b] - all[a])
    .slice(0, count);
  return pack(
    order.map((i) => all[i]),
    order.map((i) => v.getColumn(i)),
    dim,
  );
}

/** Randomized subspace iteration with oversampling: accurate to ~1e-5 relative for the leading eigenvalues; the
 *  last of `count` converge as (lambda_p / lambda_count)^iterations, slowly on flat spectra (SUBSPACE_ITERATIONS). */
async function subspaceTopEigenpairs(
  c: Float64Array,
  dim: number,
  count: number,
  iterations: number,
): Promise<Eigenpairs> {
  const p = Math.min(dim, count + Math.max(16, Math.ceil(count / 4)));
  const rng = new Rng(12345);
  // Q^T stored as p contiguous rows of length D, so that Gram-Schmidt walks memory in order.
  let qt: Float64Array = new Float64Array(p * dim);
  for (let i = 0; i < qt.length; i++) qt[i] = gaussian(rng);
  const cT = tf.tensor2d(Float32Array.from(c), [dim, dim]);
  // (C Q)^T = Q^T C because C is symmetric.
  // Read back asynchronously: webgpu in Node cannot read a GPU tensor synchronously (AlexNet's 4096-d PCA).
  const times = async (m: Float64Array): Promise<Float64Array> => {
    const out = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(m), [p, dim]), cT));
    const r = Float64Array.from(await out.data());
    out.dispose();
    return r;
  };
  orthonormalizeRows(qt, p, dim);
  for (let it = 0; it < iterations; it++) {
    qt = await times(qt);
    orthonormalizeRows(qt, p, dim);
  }
  // Rayleigh-Ritz: B = Q^T C Q (p x p), exact EVD of B, Ritz vectors Q * V.
  const cqt = await times(qt);
  cT.dispose();
  const b = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let bb = a; bb < p; bb++) {
      const v = (dot(qt, a * dim, cqt, bb * dim, dim) + dot(qt, bb * dim, cqt, a * dim, dim)) / 2;
      b[a * p + bb] = b[bb * p + a] = v;
    }
  }
  const small = exactTopEigenpairs(b, p, count);
  const vectors: Float64Array[] = [];
  for (let j = 0; j < count; j++) {
    const u = new Float64Array(dim);
    for (let a = 0; a < p; a++) {
      const w = small.vectors[j * p + a];
      for (let i = 0; i < dim; i++) u[i] += w * qt[a * dim + i];
    }
    vectors.push(u);
  }
  return pack(Array.from(small.values), vectors, dim);
}

function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/** Modified Gram-Schmidt on rows, twice (re-orthogonalisation keeps float64 orthogonality). */
function orthonormalizeRows(q: Float64Array, rows: number, len: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < rows; j++) {
      const oj = j * len;
      for (let a = 0; a < j; a++) {
        const oa = a * len;
        const d = dot(q, oa, q, oj, len);
        for (let i = 0; i < len; i++) q[oj + i] -= d * q[oa + i];
      }
      const norm = Math.sqrt(dot(q, oj, q, oj, len)) || 1;
      for (let i = 0; i < len; i++) q[oj + i] /= norm;
    }
  }
}

function gaussian(rng: Rng): number {
  const u = rng.float() || Number.MIN_VALUE;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
}

function pack(values: number[], vectors: ArrayLike<number>[], dim: number): Eigenpairs {
  const out = new Float64Array(values.length * dim);
  vectors.forEach((v, j) => out.set(v, j * dim));
  return { values: Float64Array.from(values), vectors: out };
}
