// `deepcluster import-official EXP_DIR --data IMAGEFOLDER`: a run trained elsewhere with the official code
// (facebookresearch/deepcluster main.py, e.g. on a GPU cluster) becomes one of our run folders, so the tree, the
// grid's epoch slider, NMI(t, t-1) and the label metrics work on it. Per epoch of the `clusters` log: one
// checkpoint with that epoch's assignments, label histograms and metrics, and the network's weights where the
// experiment folder holds them (officialCheckpoints.ts). Nothing is recomputed: no features, so no distances or
// exemplars (the grid orders members by index).
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import type { EpochMetrics } from '../../protocol/events';
import type { DatasetInfo } from '../../protocol/run';
import { defaultsForRecipe } from '../train/defaults';
import { folderSource, IMAGE_EXTENSIONS, listFiles } from '../data/folder';
import { initEngine } from '../engine';
import { clusterMetrics } from '../metrics';
import { loadDeepClusterModel, readPytorchCheckpoint, describeDeepClusterCheckpoint } from '../model/pytorch';
import type { ModelOptions } from '../model';
import { saveCheckpoint } from '../run/checkpoint';
import { EventLog } from '../../runfolder/events';
import { writeImageNames } from '../../runfolder/imageNames';
import { createRunDir, newRunManifest, setRunStatus, updateRunManifest } from '../../runfolder/manifest';
import { labelHistograms } from '../train/clusteringPhase';
import { OfficialRunError, readClustersPickle } from './clustersPickle';
import { imageFolderOrder } from './imageFolderOrder';
import { officialCheckpoints } from './officialCheckpoints';

export { OfficialRunError };

export interface ImportOfficialOptions {
  exp: string;
  data: string;
  out: string;
  json: boolean;
}

export interface ImportOfficialResult {
  runDir: string;
  epochs: number;
  images: number;
  /** Epochs whose checkpoint holds the network's weights. */
  withWeights: number[];
}

export async function importOfficial(
  o: ImportOfficialOptions,
  log: (line: string) => void,
): Promise<ImportOfficialResult> {
  const clusters = await readClustersPickle(path.join(o.exp, 'clusters'));
  const order = await imageFolderOrder(o.data);
  if (order.paths.length !== clusters.images) {
    throw new OfficialRunError(
      `${o.exp}/clusters indexes ${clusters.images} images but ${o.data} holds ${order.paths.length} in torchvision ImageFolder order (class folders, sorted); is it the folder the run was trained on?`,
    );
  }
  // Weights are only converted and written, never run: the plain-JS backend starts fastest.
  await initEngine('cpu', { log: () => undefined });
  const sources = await officialCheckpoints(o.exp);
  if (sources.size === 0)
    throw new OfficialRunError(`${o.exp}: no checkpoint.pth.tar or checkpoints/checkpoint_*.pth.tar`);
  const newest = [...sources.values()].sort((a, b) => b.epoch - a.epoch)[0]!;
  const options: ModelOptions = describeDeepClusterCheckpoint(await readPytorchCheckpoint(newest.file)).options;
  const E = clusters.epochs.length;
  // The grid reads images.txt (ImageFolder's order); thumbs and visualize re-read the folder with our reader.
  const ours = (await listFiles(o.data)).files
    .filter((f) => IMAGE_EXTENSIONS.has(path.extname(f.rel).toLowerCase()))
    .map((f) => f.path);
  if (ours.length !== order.paths.length || ours.some((p, i) => p !== order.paths[i])) {
    log(
      `warning: ${o.data} lists its images in another order (or set) for our reader than for ImageFolder (sub-folders, or extensions only one of them reads); the grid and exports are right, thumbnails and filter top images may not be`,
    );
  }
  const labelled = order.classNames.length >= 2;
  const labels = labelled ? order.labels : undefined;
  const source = await folderSource(o.data);
  const dataset: DatasetInfo = {
    path: o.data,
    kind: 'folder',
    images: order.paths.length,
    fingerprint: source.fingerprint,
    labelled,
    classNames: labelled ? order.classNames : undefined,
    channels: 3,
    skipped: 0,
  };
  const config: TrainConfig = {
    ...defaultsForRecipe('paper', options.arch),
    data: o.data,
    out: o.out,
    k: clusters.k[0]!,
    epochs: E,
    inputSize: options.inputSize,
    sobel: options.sobel,
  };
  await createRunDir(o.out, newRunManifest({ config, dataset, versions: { node: process.versions.node } }));
  await updateRunManifest(o.out, { importedFrom: path.resolve(o.exp) });
  await writeImageNames(o.out, order.paths.length, (i) => order.paths[i]!);
  const events = EventLog.open(o.out, o.json ? { mirror: true } : {});
  const withWeights: number[] = [];
  try {
    for (let e = 0; e < E; e++) {
      const a = clusters.epochs[e]!;
      const k = clusters.k[e]!;
      const prev = e > 0 ? clusters.epochs[e - 1] : undefined;
      const metrics: EpochMetrics = {
        epoch: e,
        loss: NaN, // the official code logs no loss in its folder: written as null, shown as '-'
        ...clusterMetrics(a, k, prev, labels),
        seconds: { epoch: 0 },
      };
      const src = sources.get(e);
      let weights = new Map<string, tf.Tensor>();
      let dispose = () => undefined as void;
      if (src) {
        const { model } = loadDeepClusterModel(await readPytorchCheckpoint(src.file));
        weights = model.namedWeights();
        dispose = () => model.dispose();
        withWeights.push(e);
      }
      try {
        const ref = await saveCheckpoint(o.out, {
          epoch: e,
          arch: options.arch,
          modelOptions: { ...options },
          weights,
          assignments: a,
          k,
          labelHistograms: labels ? labelHistograms(a, k, labels, order.classNames) : undefined,
          metrics,
        });
        events.emit({ type: 'epoch', metrics });
        events.emit({ type: 'checkpoint', epoch: e, path: ref.dir });
        await updateRunManifest(o.out, { epochsDone: e + 1 });
        log(
          `epoch ${e}: k ${k}, NMI(t,t-1) ${metrics.nmiPrev?.toFixed(3) ?? '-'}, NMI(labels) ${metrics.nmiLabels?.toFixed(3) ?? '-'}${src ? `, weights from ${path.relative(o.exp, src.file)}` : ''}`,
        );
      } finally {
        dispose();
      }
    }
    await setRunStatus(o.out, 'finished', `imported from ${path.resolve(o.exp)} (official DeepCluster run)`);
    events.emit({ type: 'done', epochs: E, runDir: o.out });
  } catch (err) {
    await setRunStatus(o.out, 'failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  } finally {
    events.close();
  }
  return { runDir: o.out, epochs: E, images: order.paths.length, withWeights };
}
