// k-means alone, ours (on the current TF.js backend) against ml-kmeans (pure JS) and, when Debian's
// python3-faiss is importable, faiss on the same matrix (2 threads, same settings as DeepCluster).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialCentroids, kmeans } from '../trainer/cluster/kmeans';
import type { HostMatrix } from '../trainer/cluster/features';
import { bestOf } from './timing';

export interface KmeansBench {
  /** Our k-means, 20 iterations + final assignment, on tf.getBackend(); every time is the best of 3 runs. */
  oursMs: number;
  /** ml-kmeans, 20 iterations from the same initial centroids (undefined when the package is not installed). */
  mlKmeansMs?: number;
  /** faiss Clustering.train (20 iterations, 2 threads) + index.search, when python3 can import faiss. */
  faissMs?: number;
  objectives: { ours: number; mlKmeans?: number; faiss?: number };
}

export async function benchKmeans(x: HostMatrix, k: number, seed = 0, iterations = 20): Promise<KmeansBench> {
  const ours = await bestOf(3, () => kmeans(x, k, { iterations, seed }));
  const out: KmeansBench = { oursMs: ours.ms, objectives: { ours: ours.value.finalObjective } };

  const ml = await import('ml-kmeans').catch(() => undefined);
  if (ml) {
    const rows: number[][] = [];
    for (let i = 0; i < x.n; i++) rows.push(Array.from(x.data.subarray(i * x.d, (i + 1) * x.d)));
    const init = initialCentroids(x, k, seed);
    const centres = Array.from({ length: k }, (_, j) => Array.from(init.subarray(j * x.d, (j + 1) * x.d)));
    const { ms, value: r } = await bestOf(3, () =>
      ml.kmeans(rows, k, { initialization: centres, maxIterations: iterations, tolerance: -1 }),
    );
    out.mlKmeansMs = ms;
    let obj = 0;
    rows.forEach((p, i) => p.forEach((v, j) => (obj += (v - r.centroids[r.clusters[i]][j]) ** 2)));
    out.objectives.mlKmeans = obj;
  }

  const faiss = faissKmeans(x, k, seed, iterations);
  if (faiss) {
    out.faissMs = faiss.ms;
    out.objectives.faiss = faiss.objective;
  }
  return out;
}

const FAISS_SCRIPT = `
import sys, time, json, numpy as np, faiss
path, n, d, k, seed, niter = sys.argv[1], *map(int, sys.argv[2:7])
x = np.fromfile(path, dtype='float32').reshape(n, d)
faiss.omp_set_num_threads(2)
best = None
for _ in range(3):
    t = time.perf_counter()
    clus = faiss.Clustering(d, k); clus.niter = niter; clus.seed = seed
    clus.max_points_per_centroid = 10000000; clus.verbose = False
    index = faiss.IndexFlatL2(d); clus.train(x, index); D, I = index.search(x, 1)
    ms = (time.perf_counter() - t) * 1000
    best = ms if best is None else min(best, ms)
print(json.dumps({'ms': best, 'objective': float(D.sum())}))
`;

/** faiss through a python3 subprocess; undefined when no interpreter can import faiss. Best of 3 runs. */
export function faissKmeans(
  x: HostMatrix,
  k: number,
  seed: number,
  iterations: number,
): { ms: number; objective: number } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'dc-faiss-'));
  try {
    const file = join(dir, 'x.f32');
    writeFileSync(file, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
    // pyenv shims may hide Debian's dist-packages; try the system interpreter too.
    for (const py of ['python3', '/usr/bin/python3']) {
      const r = spawnSync(
        py,
        ['-c', FAISS_SCRIPT, file, String(x.n), String(x.d), String(k), String(seed), String(iterations)],
        { encoding: 'utf8' },
      );
      if (r.status === 0) return JSON.parse(r.stdout.trim().split('\n').pop()!);
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
