// openDataset: find what the path holds, reuse its decoded cache or build it once, then serve batches from it.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs-core';
import type { DatasetInfo } from '../../protocol/run';
import { augmentBatch, augmentationFor } from './augment';
import { CacheReader, CacheWriter, cacheStem, readCacheMeta, usableCacheDir, type CacheMeta } from './cache';
import { cifarSource, findCifar } from './cifar';
import { folderSource } from './folder';
import { findIdxImages, idxSource, looksLikeIdxName } from './idx';
import { ChannelStats, chooseNormalization, toTensorBatch } from './normalize';
import { bundledSamplePath } from './sample';
import { DatasetError, type Source } from './source';
import type { Dataset, OpenDatasetOptions, SkippedFile } from './types';

/** What kind of dataset a path holds: an IDX file or folder, CIFAR binaries, else an image folder. */
export async function detectSource(path: string | undefined): Promise<Source> {
  if (path === undefined) {
    const sample = await idxSource(bundledSamplePath(), bundledSamplePath());
    return { ...sample, kind: 'sample' };
  }
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new DatasetError(`dataset not found: ${abs}`);
  if (st.isDirectory()) {
    const idx = await findIdxImages(abs).catch(() => undefined);
    if (idx) return idxSource(abs, idx);
    const cifar = await findCifar(abs, true).catch(() => undefined);
    if (cifar) return cifarSource(abs, cifar);
    return folderSource(abs);
  }
  if (looksLikeIdxName(abs)) return idxSource(abs, abs);
  const cifar = await findCifar(abs, false);
  if (cifar) return cifarSource(abs, cifar);
  throw new DatasetError(`not a dataset: ${abs} (give an image folder, an IDX images file or a CIFAR binary folder)`);
}

export async function openDataset(options: OpenDatasetOptions): Promise<Dataset> {
  const size = options.inputSize;
  if (!Number.isInteger(size) || size < 8) throw new DatasetError(`input size must be an integer >= 8, got ${size}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new DatasetError(`--limit must be a positive integer, got ${options.limit}`);
  }
  const source = await detectSource(options.path);
  const cacheDir = resolve(await usableCacheDir(options.cacheDir, options.onWarning));
  // The first N of a complete cache serve a limited open too.
  const limit = options.limit !== undefined && options.limit < source.total ? options.limit : undefined;
  const stems = [cacheStem(cacheDir, source.kind, source.fingerprint, size, limit)];
  if (limit !== undefined) stems.push(cacheStem(cacheDir, source.kind, source.fingerprint, size, undefined));
  let stem = stems[0];
  let meta: CacheMeta | undefined;
  for (const s of stems) {
    meta = await readCacheMeta(s);
    if (meta) {
      stem = s;
      break;
    }
  }
  const cacheHit = meta !== undefined;
  meta ??= await buildCache(source, stem, size, limit, options);

  const count = Math.min(meta.count, limit ?? Infinity);
  // A view of the first N images of a larger cache owns the skips met before its last image.
  const skipped: SkippedFile[] = meta.skipped
    .filter((s) => count === meta.count || s.imagesBefore < count)
    .map(({ path, reason }) => ({ path, reason }));
  if (cacheHit) for (const s of skipped) options.onSkip?.(s);
  const rowBytes = size * size * meta.channels;
  const reader = await CacheReader.open(stem + '.u8', rowBytes, count, options.inMemory);
  return new CachedDataset(source, meta, count, skipped, reader, stem + '.u8', cacheHit);
}

/** Decode every image once into the cache (bounded concurrency; sharp works off the event loop). */
async function buildCache(
  source: Source,
  stem: string,
  size: number,
  limit: number | undefined,
  options: OpenDatasetOptions,
): Promise<CacheMeta> {
  const skipped: CacheMeta['skipped'] = [];
  const report = (file: SkippedFile, imagesBefore: number) => {
    skipped.push({ ...file, imagesBefore });
    options.onSkip?.(file);
  };
  for (const s of source.listingSkipped) report(s, 0);
  const writer = await CacheWriter.create(stem);
  try {
    const labels: number[] = [];
    const paths: string[] = [];
    let count = 0;
    let channels = 0;
    let allGrey = true;
    let stats: ChannelStats | undefined;
    const chunks = source.decode({
      size,
      limit: limit ?? Infinity,
      concurrency: Math.max(2, options.concurrency ?? availableParallelism()),
      skip: report,
      progress: (done, total) => options.onProgress?.(done, total),
    });
    for await (const chunk of chunks) {
      channels = chunk.channels;
      stats ??= new ChannelStats(channels);
      stats.add(chunk.pixels);
      await writer.append(chunk.pixels);
      if (chunk.labels) for (let i = 0; i < chunk.count; i++) labels.push(chunk.labels[i]);
      if (chunk.paths) paths.push(...chunk.paths);
      allGrey &&= chunk.grey?.every(Boolean) === true;
      count += chunk.count;
    }
    if (count === 0) {
      const why = skipped.length
        ? ` (${skipped.length} files skipped, e.g. ${skipped[0].path}: ${skipped[0].reason})`
        : '';
      throw new DatasetError(`no readable image in ${source.path}${why}`);
    }
    // Folders decode to RGB; when every file was grey, one channel carries it all (a third of the cache).
    let pick: number[] | undefined;
    if (source.kind === 'folder' && allGrey && channels === 3) {
      await writer.squeezeToGrey(size * size);
      channels = 1;
      pick = [0];
    }
    const meta: CacheMeta = {
      version: 1,
      kind: source.kind,
      path: source.path,
      fingerprint: source.fingerprint,
      size,
      channels,
      count,
      labels: source.labelled ? labels : undefined,
      classNames: source.classNames,
      paths: source.kind === 'folder' ? paths : undefined,
      skipped,
      normalization: chooseNormalization(source.kind, source.path, channels, stats!.result(pick)),
    };
    await writer.commit(meta);
    return meta;
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

class CachedDataset implements Dataset {
  readonly info: DatasetInfo;
  readonly size: number;
  readonly inputSize: number;
  readonly channels: number;
  readonly labels?: Int32Array;
  readonly classNames?: string[];
  readonly paths?: string[];
  readonly normalization;

  constructor(
    private readonly source: Source,
    meta: CacheMeta,
    count: number,
    readonly skipped: SkippedFile[],
    private readonly reader: CacheReader,
    readonly cacheFile: string,
    readonly cacheHit: boolean,
  ) {
    this.size = count;
    this.inputSize = meta.size;
    this.channels = meta.channels;
    this.labels = meta.labels ? Int32Array.from(meta.labels.slice(0, count)) : undefined;
    this.classNames = meta.classNames;
    this.paths = meta.paths?.slice(0, count);
    this.normalization = meta.normalization;
    this.info = {
      path: source.path,
      kind: source.kind,
      images: count,
      fingerprint: source.fingerprint,
      labelled: this.labels !== undefined,
      classNames: meta.classNames,
      channels: meta.channels,
      skipped: skipped.length,
    };
  }

  itemName(i: number): string {
    return this.paths?.[i] ?? this.source.itemName?.(i) ?? `#${i}`;
  }

  readBatch(indices: ArrayLike<number>): Promise<Uint8Array> {
    return this.reader.read(indices);
  }

  async evalBatch(indices: ArrayLike<number>): Promise<tf.Tensor4D> {
    const u8 = await this.readBatch(indices);
    return toTensorBatch(u8, indices.length, this.inputSize, this.channels, this.normalization);
  }

  async trainBatch(indices: ArrayLike<number>, random: () => number): Promise<tf.Tensor4D> {
    const u8 = await this.readBatch(indices);
    const augmented = augmentBatch(
      u8,
      indices.length,
      this.inputSize,
      this.channels,
      random,
      augmentationFor(this.inputSize),
    );
    return toTensorBatch(augmented, indices.length, this.inputSize, this.channels, this.normalization);
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
