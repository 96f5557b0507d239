// The large-D eigensolver of PCA-whitening (randomized subspace iteration, src/trainer/cluster/eigen.ts) on
// covariances with known spectra lambda_m = m^-a: time and relative error of the leading and the last eigenvalue
// for a few iteration counts, in one process. Default: AlexNet's fc7 (D = 4096) to 256 components.
// Usage: node dist/bench/eigen.js [--dim 4096] [--count 256] [--exponents 1,0.5,0.25] [--iterations 6,12]
import { initEngine } from '../trainer/engine';
import { topEigenpairs } from '../trainer/cluster/eigen';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** C = H diag(lambda) H with H a product of 4 random Householder reflections: eigenvalues known exactly. */
function knownSpectrum(dim: number, a: number): { c: Float64Array; lambda: Float64Array } {
  const lambda = Float64Array.from({ length: dim }, (_, m) => (m + 1) ** -a);
  const c = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) c[i * dim + i] = lambda[i];
  let seed = 7;
  const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let r = 0; r < 4; r++) {
    const v = Float64Array.from({ length: dim }, rnd);
    const norm = Math.hypot(...v);
    for (let i = 0; i < dim; i++) v[i] /= norm;
    // C <- (I - 2vv^T) C (I - 2vv^T) = C - 2 v (Cv)^T - 2 (Cv) v^T + 4 (v^T C v) v v^T
    const cv = new Float64Array(dim);
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) cv[i] += c[i * dim + j] * v[j];
    let vcv = 0;
    for (let i = 0; i < dim; i++) vcv += v[i] * cv[i];
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) c[i * dim + j] += -2 * v[i] * cv[j] - 2 * cv[i] * v[j] + 4 * vcv * v[i] * v[j];
  }
  return { c, lambda };
}

async function main(): Promise<void> {
  const dim = Number(arg('dim', '4096'));
  const count = Number(arg('count', '256'));
  const engine = await initEngine('auto');
  console.log(`${engine.backend} (${engine.device}); D = ${dim}, ${count} eigenpairs\n`);
  console.log(
    '| spectrum | iterations | s | leading eigenvalue error | last eigenvalue error |\n|---|---|---|---|---|',
  );
  for (const a of arg('exponents', '1,0.5,0.25').split(',').map(Number)) {
    const { c, lambda } = knownSpectrum(dim, a);
    for (const iterations of arg('iterations', '6,12').split(',').map(Number)) {
      const t0 = performance.now();
      const r = await topEigenpairs(c, dim, count, { exact: false, iterations });
      const s = (performance.now() - t0) / 1000;
      const err = (j: number): string => (Math.abs(r.values[j] - lambda[j]) / lambda[j]).toExponential(1);
      console.log(`| m^-${a} | ${iterations} | ${s.toFixed(1)} | ${err(0)} | ${err(count - 1)} |`);
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
