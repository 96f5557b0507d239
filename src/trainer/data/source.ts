import type { DatasetInfo } from '../../protocol/run';
import type { SkippedFile } from './types';

/** A run of decoded images, in dataset order, as a source hands them to the cache writer. */
export interface SourceChunk {
  /** count x S x S x channels uint8. */
  pixels: Uint8Array;
  count: number;
  channels: number;
  labels?: ArrayLike<number>;
  /** Absolute paths (image folders). */
  paths?: string[];
  /** Per image: the file had no colour (image folders decode everything to RGB first). */
  grey?: boolean[];
}

export interface DecodeContext {
  size: number;
  /** Stop after this many good images. */
  limit: number;
  concurrency: number;
  /** A file was skipped after `imagesBefore` good images. */
  skip: (file: SkippedFile, imagesBefore: number) => void;
  progress: (done: number, total: number) => void;
}

/** A dataset on disk before decoding: what it is, its fingerprint, and how to decode it chunk by chunk. */
export interface Source {
  kind: DatasetInfo['kind'];
  /** The path shown to people (the file or folder given). */
  path: string;
  /** Stable hash of the content (IDX, CIFAR) or of the file list with sizes and mtimes (folders). */
  fingerprint: string;
  /** Number of images (IDX, CIFAR) or of candidate files (folders). */
  total: number;
  labelled: boolean;
  classNames?: string[];
  /** Problems found before decoding (unreadable sub-folders). */
  listingSkipped: SkippedFile[];
  /** Name of image i when the source has no per-image file (IDX, CIFAR). */
  itemName?: (i: number) => string;
  decode(ctx: DecodeContext): AsyncGenerator<SourceChunk>;
}

/** One-line error that names the problem; the CLI prints `message` alone. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}
