// `deepcluster cluster --model CKPT|RUN --data PATH [--k N]`: cluster a collection with a trained network and no
// training: features (fc7 before its ReLU), PCA-whitening + L2, k-means, as one DeepCluster epoch's clustering
// phase. It writes a normal run folder holding one checkpoint (epoch 0: the network's weights without its old
// top layer, the assignments, centroids, PCA, exemplars, label histograms), so the tree, the cluster grid, the
// exports, `inspect`, `thumbs` and `visualize` all open it.
import type { BackendRequest, TrainConfig } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/events';
import { UsageError } from '../usageError';
import { defaultsFor } from '../train/defaults';
import { openDataset } from '../data';
import { engineForModel } from './engineForModel';
import { clusterMetrics } from '../metrics';
import { EventLog } from '../../runfolder/events';
import { writeImageNames } from '../../runfolder/imageNames';
import { createRunDir, newRunManifest, setRunStatus, updateRunManifest } from '../../runfolder/manifest';
import { writeSkipped } from '../../runfolder/skipped';
import { saveCheckpoint } from '../run/checkpoint';
import { clusterFeatures, clusteringCheckpointFields } from '../train/clusteringPhase';
import { featureBatch, loadFeatureModel } from './featureModel';

export interface ClusterOptions {
  model: string;
  data: string;
  out: string;
  k?: number;
  pca?: number;
  batchSize: number;
  limit?: number;
  cacheDir?: string;
  backend?: BackendRequest;
  seed?: number;
  json: boolean;
}

export interface ClusterResult {
  runDir: string;
  checkpoint: string;
  images: number;
  k: number;
  pca: number;
  model: string;
  /** Feature pass only (the network's speed), and the whole clustering phase. */
  seconds: { features: number; clustering: number };
  imagesPerSecond: number;
}

/** Default k for a collection of n images: ~10 per cluster, at most 100 (over-clustering, as the paper). */
export function defaultK(n: number): number {
  return Math.max(2, Math.min(100, Math.floor(n / 10)));
}

export async function clusterWithModel(o: ClusterOptions, log: (line: string) => void): Promise<ClusterResult> {
  const { engine, model } = await engineForModel(
    o.backend ?? 'auto',
    () => loadFeatureModel(o.model),
    o.batchSize,
    o.cacheDir,
    log,
  );
  const net = model.net;
  try {
    net.removeTopLayer(); // its units are the old clustering's, not this one's
    const arch = net.options.arch;
    const dataset = await openDataset({
      path: o.data,
      inputSize: net.options.inputSize,
      limit: o.limit,
      cacheDir: o.cacheDir,
      onWarning: log,
    });
    try {
      const n = dataset.size;
      const d = net.featureDim;
      const k = o.k ?? defaultK(n);
      if (k < 2) throw new UsageError(`--k must be at least 2, got ${k}`);
      if (k > n) throw new UsageError(`--k ${k} is larger than the number of images (${n}) in ${o.data}`);
      // Whitening to as many dimensions as there are images makes every pair equidistant: keep n/4 at most.
      const pca = o.pca ?? Math.max(2, Math.min(defaultsFor(arch).pca, d, Math.floor(n / 4)));
      if (pca > Math.min(d, n))
        throw new UsageError(
          `--pca ${pca} is larger than ${pca > d ? `the feature size ${d}` : `the number of images ${n}`}`,
        );
      const config: TrainConfig = {
        ...defaultsFor(arch),
        data: o.data,
        out: o.out,
        k,
        pca,
        epochs: 1,
        inputSize: net.options.inputSize,
        sobel: net.options.sobel,
        backend: o.backend ?? 'auto',
        seed: o.seed ?? defaultsFor(arch).seed,
        limit: o.limit,
        cacheDir: o.cacheDir,
        batchSize: o.batchSize,
      };
      await createRunDir(
        o.out,
        newRunManifest({ config, dataset: dataset.info, engine, versions: { node: process.versions.node } }),
      );
      const events = EventLog.open(o.out, o.json ? { mirror: true } : {});
      try {
        await writeImageNames(o.out, n, (i) => dataset.itemName(i));
        if (dataset.skipped.length) {
          const listFile = await writeSkipped(o.out, dataset.skipped);
          events.emit({ type: 'skipped', count: dataset.skipped.length, listFile });
        }
        events.emit({ type: 'start', runDir: o.out, epochs: 1, startEpoch: 0, engine, images: n });
        log(`model: ${model.description}; ${n} images at ${net.options.inputSize}px; k ${k}, PCA ${pca}`);

        events.emit({ type: 'phase', epoch: 0, phase: 'features', done: 0, total: n });
        const t0 = performance.now();
        const features = new Float32Array(n * d);
        let lastLog = t0;
        for (let start = 0; start < n; start += o.batchSize) {
          const idx = Array.from({ length: Math.min(o.batchSize, n - start) }, (_, i) => start + i);
          const x = await featureBatch(model, dataset, idx);
          const f = net.features(x);
          x.dispose();
          features.set((await f.data()) as Float32Array, start * d);
          f.dispose();
          if (performance.now() - lastLog > 1000 || start + idx.length === n) {
            lastLog = performance.now();
            events.emit({ type: 'phase', epoch: 0, phase: 'features', done: start + idx.length, total: n });
            log(`features: ${start + idx.length}/${n}`);
          }
        }
        const tFeatures = (performance.now() - t0) / 1000;

        events.emit({ type: 'phase', epoch: 0, phase: 'clustering' });
        const t1 = performance.now();
        const c = await clusterFeatures(config, features, n, d, 0);
        const tClustering = (performance.now() - t1) / 1000;
        const labels = dataset.labels;
        const metrics: EpochMetrics = {
          epoch: 0,
          loss: NaN, // no training: written as null, shown as '-'
          ...clusterMetrics(c.assignments, c.k, undefined, labels, c.objective),
          seconds: { epoch: tFeatures + tClustering, features: tFeatures, clustering: tClustering },
        };
        events.emit({ type: 'epoch', metrics });
        const ref = await saveCheckpoint(o.out, {
          epoch: 0,
          arch,
          modelOptions: { ...net.options },
          weights: net.namedWeights(),
          ...clusteringCheckpointFields(c, labels, dataset.classNames),
          metrics,
        });
        await updateRunManifest(o.out, { epochsDone: 1 });
        events.emit({ type: 'checkpoint', epoch: 0, path: ref.dir });
        await setRunStatus(o.out, 'finished', `clustered with ${model.description}, no training`);
        events.emit({ type: 'done', epochs: 1, runDir: o.out });
        return {
          runDir: o.out,
          checkpoint: ref.dir,
          images: n,
          k: c.k,
          pca,
          model: model.description,
          seconds: { features: tFeatures, clustering: tClustering },
          imagesPerSecond: n / tFeatures,
        };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await setRunStatus(o.out, 'failed', message).catch(() => undefined);
        events.emit({ type: 'error', message });
        throw e;
      } finally {
        events.close();
      }
    } finally {
      await dataset.close();
    }
  } finally {
    net.dispose();
  }
}
