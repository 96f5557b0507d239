import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { applyPca, pcaWhiten } from '../../../src/trainer/cluster/pca';
import { topEigenpairs } from '../../../src/trainer/cluster/eigen';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/cluster/pca-faiss.json', import.meta.url), 'utf8'));

test('PCA whitening + L2 matches faiss PCAMatrix(eigen_power=-0.5) (sign-free: Gram matrix of the outputs)', async () => {
  await tf.setBackend('cpu');
  const x = { data: Float32Array.from(fixture.x), n: fixture.n, d: fixture.d };
  const { features, transform } = await pcaWhiten(x, fixture.dim);
  assert.equal(features.d, fixture.dim);
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 40; j++) {
      let g = 0;
      for (let c = 0; c < fixture.dim; c++)
        g += features.data[i * fixture.dim + c] * features.data[j * fixture.dim + c];
      assert.ok(
        Math.abs(g - fixture.gram[i * 40 + j]) < 1e-4,
        `gram[${i},${j}] ${g} vs faiss ${fixture.gram[i * 40 + j]}`,
      );
    }
  }
  transform.eigenvalues.forEach((l, j) =>
    assert.ok(Math.abs(l - fixture.eigenvaluesOverN[j]) < 1e-4 * fixture.eigenvaluesOverN[0]),
  );
  // The stored transform whitens new rows the same way (here: the same rows, from a tensor).
  const t = tf.tensor2d(x.data, [x.n, x.d]);
  const again = await applyPca(transform, t);
  t.dispose();
  for (let i = 0; i < again.data.length; i++) assert.ok(Math.abs(again.data[i] - features.data[i]) < 1e-5);
});

test('PCA: output size larger than the features or the rows is a one-line error', async () => {
  await tf.setBackend('cpu');
  const x = { data: new Float32Array(12), n: 4, d: 3 };
  await assert.rejects(pcaWhiten(x, 5), /^Error: --pca 5 is larger than the feature size 3$/);
  await assert.rejects(
    pcaWhiten({ data: new Float32Array(12), n: 2, d: 6 }, 4),
    /^Error: --pca 4 is larger than the number of images 2$/,
  );
});

test('randomized subspace iteration agrees with the exact EVD on the leading eigenpairs', async () => {
  await tf.setBackend('cpu');
  const dim = 96;
  // C = B diag(s) B^T with a decaying spectrum, B orthonormal (via a random symmetric matrix's exact EVD).
  const a = new Float64Array(dim * dim);
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let i = 0; i < dim; i++) for (let j = 0; j <= i; j++) a[i * dim + j] = a[j * dim + i] = rnd();
  const basis = (await topEigenpairs(a, dim, dim, { exact: true })).vectors;
  const c = new Float64Array(dim * dim);
  for (let m = 0; m < dim; m++) {
    const s = 0.9 ** m;
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) c[i * dim + j] += s * basis[m * dim + i] * basis[m * dim + j];
  }
  const exact = await topEigenpairs(c, dim, 16, { exact: true });
  const approx = await topEigenpairs(c, dim, 16, { exact: false, iterations: 8 });
  for (let j = 0; j < 16; j++) {
    assert.ok(Math.abs(approx.values[j] - exact.values[j]) < 1e-4, `eigenvalue ${j}`);
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += approx.vectors[j * dim + i] * exact.vectors[j * dim + i];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `eigenvector ${j}: |dot| ${Math.abs(dot)}`);
  }
});
