// `deepcluster thumbs CHECKPOINT --indices 1,2,3 | --clusters 0-9 [--per-cluster 16] [--size 64]
// [--by centroid|activation]`: thumbnails for the cluster grid. With --clusters, each cluster's most typical
// images: nearest its centroid in the clustering space (the checkpoint's exemplars), or highest logit of the
// cluster's unit in the top layer (one forward pass over the dataset, cached per checkpoint).
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { ClusterTypicalImages, ThumbnailIndex, TypicalBy } from '../../protocol/analysis';
import type { BackendRequest } from '../../protocol/config';
import { writeJsonAtomic } from '../../runfolder/atomic';
import { ANALYSIS_FILES, analysisDir, thumbnailRelPath, thumbsDir } from '../../runfolder/layout';
import { openCheckpointContext, type CheckpointContext } from './checkpointContext';
import { AnalysisError } from './errors';
import { ensureThumbnails } from './thumbnails';
import { topImagesByClusterUnit, type UnitTop } from './topActivations';
import { readJsonOrUndefined, throttled, type AnalysisIO } from './visualizeCommand';

export interface ThumbsRequest {
  target: string;
  /** Exactly one of indices and clusters. */
  indices?: number[];
  clusters?: number[];
  perCluster?: number;
  size?: number;
  by?: TypicalBy;
  backend?: BackendRequest;
}

/** Images per cluster kept in the activation ranking cache (more than a grid card shows). */
const ACTIVATION_CACHE_COUNT = 64;

export async function thumbs(req: ThumbsRequest, io: AnalysisIO): Promise<ThumbnailIndex | ClusterTypicalImages> {
  const started = performance.now();
  if (!req.indices === !req.clusters) throw new AnalysisError('thumbs needs either --indices or --clusters');
  const size = req.size ?? 64;
  const ctx = await openCheckpointContext(req.target, { backend: req.backend, log: io.log });
  try {
    const progress = throttled((done, total) => io.emit({ type: 'progress', phase: 'thumbnails', done, total }));
    if (req.indices) {
      const made = await ensureThumbnails(ctx.runDir, ctx.dataset, req.indices, size, { onProgress: progress });
      const index: ThumbnailIndex = { size, thumbs: made };
      io.emit({ type: 'result', command: 'thumbs', index, seconds: (performance.now() - started) / 1000 });
      return index;
    }
    const by = req.by ?? 'centroid';
    const perCluster = req.perCluster ?? 16;
    const k = ctx.checkpoint.k;
    const bad = req.clusters!.find((c) => c >= k);
    if (bad !== undefined)
      throw new AnalysisError(`--clusters: ${ctx.name} has ${k} clusters (0-${k - 1}), got ${bad}`);
    const ranked = by === 'centroid' ? centroidRanking(ctx) : await activationRanking(ctx, perCluster, io);
    const all = typicalImages(ctx, by, size, ranked, perCluster);
    // The file covers every cluster; thumbnails exist for the clusters asked so far.
    const file = path.join(analysisDir(ctx.runDir, ctx.name), ANALYSIS_FILES.typical(by));
    await mkdir(path.dirname(file), { recursive: true }); // the first analysis of this checkpoint
    await writeJsonAtomic(file, all, { fsync: false });
    const asked = { ...all, clusters: req.clusters!.map((c) => all.clusters[c]) };
    await ensureThumbnails(
      ctx.runDir,
      ctx.dataset,
      asked.clusters.flatMap((c) => c.items.map((i) => i.index)),
      size,
      { onProgress: progress },
    );
    io.emit({ type: 'result', command: 'thumbs', index: asked, file, seconds: (performance.now() - started) / 1000 });
    io.log(
      `thumbnails of ${asked.clusters.length} cluster(s) (${by}) under ${thumbsDir(ctx.runDir, size)}; index ${file}`,
    );
    return asked;
  } finally {
    await ctx.close();
  }
}

/** Nearest to the centroid first, with distances: the checkpoint's exemplars. */
function centroidRanking(ctx: CheckpointContext): UnitTop[] {
  const ex = ctx.checkpoint.exemplars;
  if (!ex) throw new AnalysisError(`checkpoint ${ctx.dir} has no exemplars (cluster members nearest their centroid)`);
  return ex.clusters.map((c) => ({ indices: c.indices, scores: c.distances }));
}

/** Highest top-layer logit first; cached in <run>/analysis/<checkpoint>/top-layer.json. */
async function activationRanking(ctx: CheckpointContext, perCluster: number, io: AnalysisIO): Promise<UnitTop[]> {
  const file = path.join(analysisDir(ctx.runDir, ctx.name), ANALYSIS_FILES.topLayer);
  const cached = await readJsonOrUndefined<{ count: number; images: number; units: UnitTop[] }>(file);
  if (cached && cached.count >= perCluster && cached.images === ctx.dataset.size) return cached.units;
  if (ctx.net.k !== ctx.checkpoint.k) {
    throw new AnalysisError(
      `checkpoint ${ctx.dir} has a top layer of ${ctx.net.k} units for ${ctx.checkpoint.k} clusters`,
    );
  }
  io.log(`ranking ${ctx.dataset.size} images by the top layer's ${ctx.net.k} cluster units`);
  const count = Math.max(perCluster, ACTIVATION_CACHE_COUNT);
  const progress = throttled((done, total) => io.emit({ type: 'progress', phase: 'top-layer', done, total }));
  const units = await topImagesByClusterUnit(ctx.net, ctx.dataset, count, { onProgress: progress });
  await mkdir(path.dirname(file), { recursive: true });
  await writeJsonAtomic(file, { count, images: ctx.dataset.size, units }, { fsync: false });
  return units;
}

function typicalImages(
  ctx: CheckpointContext,
  by: TypicalBy,
  size: number,
  ranked: UnitTop[],
  perCluster: number,
): ClusterTypicalImages {
  const assignments = ctx.checkpoint.assignments;
  const members = new Int32Array(ctx.checkpoint.k);
  for (const a of assignments) if (a >= 0 && a < members.length) members[a]++;
  return {
    checkpoint: ctx.name,
    by,
    size,
    clusters: Array.from({ length: ctx.checkpoint.k }, (_, cluster) => {
      const r = ranked[cluster] ?? { indices: [], scores: [] };
      const items = r.indices.slice(0, perCluster).map((index, i) => ({
        index,
        score: r.scores[i],
        thumb: thumbnailRelPath(size, index),
        cluster: assignments[index],
      }));
      return { cluster, members: members[cluster], items };
    }),
  };
}
