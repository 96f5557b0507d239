// Thumbnails of dataset images for the cluster grid: one PNG per image index, cached under the run directory
// (<run>/thumbs/s<size>/<index>.png), made from the decoded cache (the centre crop the network saw). Only the
// requested ones are made; existing files are reused. Each file is written under a temp name and renamed, so
// two processes asking for the same thumbnail both end with one whole file.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../../runfolder/atomic';
import { thumbnailFile, thumbnailRelPath } from '../../runfolder/layout';
import { AnalysisError } from './errors';
import { encodePng } from './png';

/** The part of a Dataset thumbnails need. */
export interface PixelSource {
  readonly size: number;
  readonly inputSize: number;
  readonly channels: number;
  readBatch(indices: ArrayLike<number>): Promise<Uint8Array>;
}

export interface Thumbnail {
  index: number;
  /** Relative to the run directory, '/' separators. */
  thumb: string;
}

export async function ensureThumbnails(
  runDir: string,
  data: PixelSource,
  indices: readonly number[],
  size: number,
  options: { onProgress?: (done: number, total: number) => void; batchSize?: number } = {},
): Promise<Thumbnail[]> {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= data.size)
      throw new AnalysisError(`image index ${i} is out of range (the dataset has ${data.size} images)`);
  }
  const unique = [...new Set(indices)];
  const file = (i: number) => thumbnailFile(runDir, size, i);
  const missing: number[] = [];
  for (const i of unique) if (!(await exists(file(i)))) missing.push(i);
  if (missing.length) await fs.mkdir(path.dirname(file(missing[0])), { recursive: true });

  const s = data.inputSize;
  const bytes = s * s * data.channels;
  const batchSize = options.batchSize ?? 64;
  for (let start = 0; start < missing.length; start += batchSize) {
    const batch = missing.slice(start, start + batchSize);
    const pixels = await data.readBatch(batch);
    await Promise.all(
      batch.map(async (index, j) => {
        const png = await encodePng(pixels.subarray(j * bytes, (j + 1) * bytes), s, s, data.channels, size);
        // Cheap to remake, so no fsync: a power cut may lose one, never leave half of one.
        await writeFileAtomic(file(index), png, { fsync: false });
      }),
    );
    options.onProgress?.(Math.min(start + batchSize, missing.length), missing.length);
  }
  return indices.map((index) => ({ index, thumb: thumbnailRelPath(size, index) }));
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (st) => st.size > 0,
    () => false,
  );
}
