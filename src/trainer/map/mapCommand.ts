// `deepcluster map CHECKPOINT|RUN [--method umap|pca] [--force]`: the 2-D layout of every image's embedding for
// one checkpoint (the network's features in eval mode, as `eval` and `embed` compute them), cached in
// <run>/maps/ so the map panel opens instantly the next time. Read-only on everything else in the run.
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { EmbeddingMapFile, MapMethod } from '../../protocol/embeddingMap';
import { embeddingMapPath } from '../../runfolder/embeddingMap';
import type { BackendRequest } from '../../protocol/config';
import { readEmbeddingMap } from '../../runfolder/embeddingMap';
import { openCheckpointContext } from '../analyze/checkpointContext';
import { throttled, type AnalysisIO } from '../analyze/visualizeCommand';
import { networkFeatures } from '../eval/featureSets';
import { writeJsonAtomic } from '../../runfolder/atomic';
import { checkpointEpoch } from '../../runfolder/layout';
import { computeLayout } from './layout';

export interface MapRequest {
  target: string;
  method: MapMethod;
  /** Recompute even when the run holds this map already. */
  force?: boolean;
  backend?: BackendRequest;
  seed?: number;
  epochs?: number;
  neighbors?: number;
}

export interface MapResult {
  file: string;
  images: number;
  cached: boolean;
  seconds: number;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

export async function map(req: MapRequest, io: AnalysisIO): Promise<MapResult> {
  const started = performance.now();
  const ctx = await openCheckpointContext(req.target, { backend: req.backend, log: io.log });
  try {
    const epoch = checkpointEpoch(ctx.name)!;
    const file = embeddingMapPath(ctx.runDir, epoch, req.method);
    if (!req.force) {
      const old = readEmbeddingMap(ctx.runDir, epoch, req.method);
      if (old && old.images === ctx.dataset.size) {
        const r = { file, images: old.images, cached: true, seconds: (performance.now() - started) / 1000 };
        io.emit({ type: 'result', command: 'map', ...r });
        return r;
      }
    }
    const n = ctx.dataset.size;
    io.log(`map: features of ${n} images (${ctx.net.featureDim}-d) from ${ctx.name}`);
    const progress = (phase: 'features' | 'pca' | 'knn' | 'layout') =>
      throttled((done, total) => io.emit({ type: 'progress', phase, done, total }), 500);
    const featureProgress = progress('features');
    const t0 = performance.now();
    const features = await networkFeatures(ctx.net, ctx.dataset, 256, featureProgress);
    const featureSeconds = (performance.now() - t0) / 1000;
    const phases = { pca: progress('pca'), knn: progress('knn'), layout: progress('layout') };
    const layout = await computeLayout(features, {
      method: req.method,
      seed: req.seed,
      epochs: req.epochs,
      nNeighbors: req.neighbors,
      onProgress: (phase, done, total) => phases[phase](done, total),
    });
    const labels = ctx.dataset.labels;
    const out: EmbeddingMapFile = {
      version: 1,
      checkpoint: ctx.name,
      epoch,
      method: req.method,
      images: n,
      created: new Date().toISOString(),
      params: { ...layout.params, featureDim: features.d },
      seconds: { features: featureSeconds, ...layout.seconds },
      x: Array.from({ length: n }, (_, i) => round4(layout.xy[2 * i]!)),
      y: Array.from({ length: n }, (_, i) => round4(layout.xy[2 * i + 1]!)),
      clusters: Array.from(ctx.checkpoint.assignments),
      ...(labels ? { labels: Array.from(labels) } : {}),
      ...(ctx.manifest.dataset.classNames ? { classNames: ctx.manifest.dataset.classNames } : {}),
    };
    await mkdir(path.dirname(file), { recursive: true });
    await writeJsonAtomic(file, out, { fsync: false });
    const s = out.seconds;
    io.log(
      `map of ${n} images written to ${file} (features ${s.features.toFixed(1)} s, PCA ${s.pca.toFixed(1)} s, kNN ${s.knn.toFixed(1)} s, layout ${s.layout.toFixed(1)} s)`,
    );
    const r = { file, images: n, cached: false, seconds: (performance.now() - started) / 1000 };
    io.emit({ type: 'result', command: 'map', ...r });
    return r;
  } finally {
    await ctx.close();
  }
}
