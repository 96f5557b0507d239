// npm run bench:map [-- --sizes 20000,60000] [--method umap|pca] [--backend NAME] [--arch resnet] [--pixels]
// What `deepcluster map` costs, phase by phase, at the sizes issue 14 names (20 000 points in <= 1 min, 60 000 in
// <= 3 min on this 2-core machine): the feature pass of a network of the run's architecture (an untrained one:
// a forward pass costs the same whatever the weights), PCA, the approximate kNN and the UMAP layout, on the first
// N images of Debian's Fashion-MNIST train split (60 000). Also the kNN's recall against an exact search on a
// sample of points. Prints the load average, since the machine is shared.
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MAP_METHODS, type MapMethod } from '../protocol/embeddingMap';
import { ARCHS, BACKENDS, type ArchName, type BackendRequest } from '../protocol/config';
import { openDataset } from '../trainer/data';
import { DEBIAN_FASHION_MNIST } from '../trainer/data/sample';
import { initEngine } from '../trainer/engine';
import { networkFeatures, pixelFeatures } from '../trainer/eval/featureSets';
import { approximateKnn } from '../trainer/map/approxKnn';
import { computeLayout } from '../trainer/map/layout';
import { principalComponents } from '../trainer/map/project';
import { Rng } from '../trainer/cluster/rng';
import { createModel } from '../trainer/model';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,60000' },
    method: { type: 'string', default: 'umap' },
    backend: { type: 'string', default: 'auto' },
    arch: { type: 'string', default: 'resnet' },
    data: { type: 'string', default: `${DEBIAN_FASHION_MNIST}/train-images-idx3-ubyte.gz` },
    // Lay out the raw pixels instead of network features: times the layout alone, in seconds, not minutes.
    pixels: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench:map: ${message}\n`);
  process.exit(2);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Share of the true 15 nearest neighbours found, on 300 random points (exact search for those only). */
function recall(x: Float32Array, n: number, d: number, knn: { indices: Int32Array; k: number }): number {
  const rng = new Rng(7);
  let hit = 0;
  let total = 0;
  for (let s = 0; s < 300; s++) {
    const q = Math.floor(rng.float() * n);
    const dist = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < d; j++) {
        const t = x[q * d + j]! - x[i * d + j]!;
        v += t * t;
      }
      dist[i] = i === q ? Infinity : v;
    }
    const truth = new Set(
      Array.from(dist.keys())
        .sort((a, b) => dist[a]! - dist[b]!)
        .slice(0, knn.k),
    );
    for (let j = 0; j < knn.k; j++) if (truth.has(knn.indices[q * knn.k + j]!)) hit++;
    total += knn.k;
  }
  return hit / total;
}

async function main(): Promise<void> {
  const sizes = values.sizes!.split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 20))
    fail(`--sizes: integers of at least 20, got '${values.sizes}'`);
  if (!MAP_METHODS.includes(values.method as MapMethod)) fail(`--method: one of ${MAP_METHODS.join(', ')}`);
  if (!BACKENDS.includes(values.backend as BackendRequest)) fail(`--backend: one of ${BACKENDS.join(', ')}`);
  if (!ARCHS.includes(values.arch as ArchName)) fail(`--arch: one of ${ARCHS.join(', ')}`);
  const engine = await initEngine(values.backend as BackendRequest, {});
  console.log(`bench:map on ${cpus().length} cores (${engine.backend}), load average ${load()} at start`);
  for (const n of sizes) {
    const dataset = await openDataset({ path: values.data, inputSize: 28, limit: n });
    const net = createModel({
      arch: values.arch as ArchName,
      inputSize: 28,
      inputChannels: dataset.info.channels,
      sobel: false,
      seed: 0,
    });
    const t0 = performance.now();
    const f = values.pixels ? await pixelFeatures(dataset) : await networkFeatures(net, dataset, 256);
    const featureSeconds = (performance.now() - t0) / 1000;
    net.dispose();
    await dataset.close();
    const layout = await computeLayout(f, { method: values.method as MapMethod });
    const s = layout.seconds;
    const total = featureSeconds + s.pca + s.knn + s.layout;
    console.log(
      `${f.n} points, ${f.d}-d ${values.pixels ? 'pixel' : values.arch} features: features ${featureSeconds.toFixed(1)} s, PCA ${s.pca.toFixed(1)} s, kNN ${s.knn.toFixed(1)} s, ` +
        `layout ${s.layout.toFixed(1)} s (${layout.params.epochs ?? 0} epochs): total ${total.toFixed(1)} s; load average ${load()}`,
    );
    if (values.method === 'umap') {
      const r = await principalComponents(f, 32);
      const knn = approximateKnn(r.data, r.n, r.d, 15, { random: new Rng(0).random });
      console.log(
        `  kNN recall@15 (300 random points against an exact search in the same 32 PCA dimensions): ${recall(r.data, r.n, r.d, knn).toFixed(3)}`,
      );
    }
  }
}

void main();
