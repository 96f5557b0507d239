// `deepcluster embed --model CKPT|RUN --data DIR --out FILE.npy`: every image's clustering features (fc7 before
// its ReLU, eval mode: what DeepCluster clusters) as a float32 N x D .npy, rows in the dataset's order, and
// images.txt beside it naming each row's image.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { BackendRequest } from '../../protocol/config';
import { openDataset } from '../data';
import { engineForModel } from './engineForModel';
import { featureBatch, loadFeatureModel } from './featureModel';
import { NpyWriter } from './npy';
import { writeImageNamesBeside } from '../../runfolder/imageNames';

export interface EmbedOptions {
  model: string;
  data: string;
  out: string;
  batchSize: number;
  limit?: number;
  cacheDir?: string;
  backend?: BackendRequest;
}

export interface EmbedResult {
  out: string;
  imagesTxt: string;
  rows: number;
  dim: number;
  seconds: number;
  imagesPerSecond: number;
  model: string;
}

export async function embed(o: EmbedOptions, log: (line: string) => void): Promise<EmbedResult> {
  const { engine, model } = await engineForModel(
    o.backend ?? 'auto',
    () => loadFeatureModel(o.model),
    o.batchSize,
    o.cacheDir,
    log,
  );
  log(`engine: ${engine.backend} on ${engine.device}`);
  try {
    log(`model: ${model.description}, ${model.net.options.inputSize}px, ${model.net.featureDim}-d features`);
    const dataset = await openDataset({
      path: o.data,
      inputSize: model.net.options.inputSize,
      limit: o.limit,
      cacheDir: o.cacheDir,
      onWarning: log,
    });
    try {
      await fs.mkdir(path.dirname(o.out), { recursive: true });
      const n = dataset.size;
      const d = model.net.featureDim;
      const writer = await NpyWriter.create(o.out, n, d);
      const t0 = performance.now();
      let lastLog = t0;
      try {
        for (let start = 0; start < n; start += o.batchSize) {
          const idx = Array.from({ length: Math.min(o.batchSize, n - start) }, (_, i) => start + i);
          const x = await featureBatch(model, dataset, idx);
          const f = model.net.features(x);
          x.dispose();
          const rows = (await f.data()) as Float32Array;
          f.dispose();
          await writer.append(rows);
          if (performance.now() - lastLog > 2000 || start + idx.length === n) {
            lastLog = performance.now();
            log(`embed: ${start + idx.length}/${n} images`);
          }
        }
        await writer.close();
      } catch (e) {
        await writer.abort();
        throw e;
      }
      const seconds = (performance.now() - t0) / 1000;
      // The run folder's images.txt format: one JSON string per line, so that any file name survives.
      const imagesTxt = await writeImageNamesBeside(
        o.out,
        Array.from({ length: n }, (_, i) => dataset.itemName(i)),
      );
      return {
        out: o.out,
        imagesTxt,
        rows: n,
        dim: d,
        seconds,
        imagesPerSecond: n / seconds,
        model: model.description,
      };
    } finally {
      await dataset.close();
    }
  } finally {
    model.net.dispose();
  }
}
