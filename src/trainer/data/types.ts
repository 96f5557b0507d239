import type * as tf from '@tensorflow/tfjs-core';
import type { DatasetInfo } from '../../protocol/run';

/** A file that could not be used, and why (one line). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** Per-channel statistics on the [0, 1] scale: x_norm = (x / 255 - mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
  /** Where the numbers come from: 'fashion-mnist', 'imagenet' or 'computed'. */
  source: 'fashion-mnist' | 'imagenet' | 'computed';
}

export interface OpenDatasetOptions {
  /** IDX file or folder, CIFAR binary folder or file, image folder. Undefined: the bundled sample. */
  path?: string;
  /** Square side S of the cached images (and of the network input). */
  inputSize: number;
  /** Use only the first N readable images. */
  limit?: number;
  /** Where decoded caches live. Default: $XDG_CACHE_HOME/deepcluster or ~/.cache/deepcluster. */
  cacheDir?: string;
  /** Decoding progress (images examined so far, upper bound of the total). Only called when the cache is built. */
  onProgress?: (done: number, total: number) => void;
  /** Called once per skipped file per open (also on a cache hit, from the stored list). */
  onSkip?: (file: SkippedFile) => void;
  /** Something worth one line that is not a skipped file (e.g. the cache folder fell back to the temp dir). */
  onWarning?: (message: string) => void;
  /** Hold the cache in memory (true), stream slices from disk (false); default: memory when <= 256 MiB. */
  inMemory?: boolean;
  /** Decode pipelines in flight while building the cache (default: os.availableParallelism(), at least 2). */
  concurrency?: number;
}

/** An opened dataset: N images of S x S x C uint8 in a decoded cache, read by index. */
export interface Dataset {
  readonly info: DatasetInfo;
  readonly size: number;
  readonly inputSize: number;
  readonly channels: number;
  /** Dataset labels (class index per image), when the source has them. */
  readonly labels?: Int32Array;
  readonly classNames?: string[];
  /** Absolute file path per image (image folders only). */
  readonly paths?: string[];
  readonly skipped: SkippedFile[];
  readonly normalization: Normalization;
  /** The cache file this dataset reads from. */
  readonly cacheFile: string;
  /** True when this open decoded nothing (the cache already existed). */
  readonly cacheHit: boolean;
  /** A human name for image i: its path (folders) or `<file>#<i>`. */
  itemName(i: number): string;
  /** indices.length x S x S x C uint8, NHWC, in the order given. */
  readBatch(indices: ArrayLike<number>): Promise<Uint8Array>;
  /** Centre-cropped, normalised float32 NHWC batch: the feature pass view. */
  evalBatch(indices: ArrayLike<number>): Promise<tf.Tensor4D>;
  /** Augmented (augmentationFor(S)), normalised batch: the training view. `random` makes it reproducible. */
  trainBatch(indices: ArrayLike<number>, random: () => number): Promise<tf.Tensor4D>;
  /** Release the cache file handle (streaming mode). */
  close(): Promise<void>;
}
