// CIFAR-10/100 binary batches: records of label byte(s) then 3072 bytes, the 32x32 R plane, then G, then B.
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hashFile, hashStrings } from './fingerprint';
import { Resampler } from './resample';
import { DatasetError, type DecodeContext, type Source, type SourceChunk } from './source';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = 3 * PLANE;

interface CifarLayout {
  files: string[];
  /** 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine; we use fine). */
  labelBytes: 1 | 2;
  namesFile: string;
}

const isFile = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Is this a CIFAR binary folder or file? Returns its layout, or undefined. */
export async function findCifar(path: string, isDir: boolean): Promise<CifarLayout | undefined> {
  if (!isDir) {
    if (!path.endsWith('.bin')) return undefined;
    const name = basename(path);
    const size = (await stat(path)).size;
    const hundred =
      /^(train|test)\.bin$/.test(name) ||
      (!/batch/.test(name) && size % (PIXELS + 2) === 0 && size % (PIXELS + 1) !== 0);
    return hundred
      ? { files: [path], labelBytes: 2, namesFile: join(dirname(path), 'fine_label_names.txt') }
      : { files: [path], labelBytes: 1, namesFile: join(dirname(path), 'batches.meta.txt') };
  }
  // The official archives unpack into one of these folders.
  for (const sub of ['cifar-10-batches-bin', 'cifar-100-binary']) {
    if (
      await stat(join(path, sub)).then(
        (s) => s.isDirectory(),
        () => false,
      )
    )
      return findCifar(join(path, sub), true);
  }
  const names = await readdir(path);
  const batches = names
    .filter((n) => /^data_batch_\d+\.bin$/.test(n))
    .sort((a, b) => Number.parseInt(a.slice(11), 10) - Number.parseInt(b.slice(11), 10));
  if (batches.length)
    return { files: batches.map((n) => join(path, n)), labelBytes: 1, namesFile: join(path, 'batches.meta.txt') };
  if (names.includes('train.bin'))
    return { files: [join(path, 'train.bin')], labelBytes: 2, namesFile: join(path, 'fine_label_names.txt') };
  if (names.includes('test_batch.bin'))
    return { files: [join(path, 'test_batch.bin')], labelBytes: 1, namesFile: join(path, 'batches.meta.txt') };
  if (names.includes('test.bin'))
    return { files: [join(path, 'test.bin')], labelBytes: 2, namesFile: join(path, 'fine_label_names.txt') };
  return undefined;
}

export async function cifarSource(path: string, layout: CifarLayout): Promise<Source> {
  const record = layout.labelBytes + PIXELS;
  // starts[f]: index of the first image of file f.
  const starts: number[] = [];
  let total = 0;
  for (const f of layout.files) {
    const size = (await stat(f)).size;
    if (size % record !== 0)
      throw new DatasetError(`${f}: ${size} bytes is not a whole number of ${record}-byte CIFAR records`);
    starts.push(total);
    total += size / record;
  }
  const classNames = (await isFile(layout.namesFile))
    ? (await readFile(layout.namesFile, 'utf8'))
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  const fingerprint = hashStrings(await Promise.all(layout.files.map(hashFile)));
  return {
    kind: 'cifar',
    path,
    fingerprint,
    total,
    labelled: true,
    classNames,
    listingSkipped: [],
    itemName: (i) => {
      let f = starts.length - 1;
      while (starts[f] > i) f--;
      return `${basename(layout.files[f])}#${i - starts[f]}`;
    },
    decode: (ctx) => decodeCifar(layout, ctx, total),
  };
}

async function* decodeCifar(layout: CifarLayout, ctx: DecodeContext, total: number): AsyncGenerator<SourceChunk> {
  const record = layout.labelBytes + PIXELS;
  const wanted = Math.min(total, ctx.limit);
  const outBytes = ctx.size * ctx.size * 3;
  let done = 0;
  for (const file of layout.files) {
    if (done >= wanted) break;
    const buf = await readFile(file);
    const n = Math.min(buf.length / record, wanted - done);
    const CHUNK = 1024;
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const labels = new Int32Array(end - start);
      const hwc = new Uint8Array((end - start) * PIXELS);
      for (let i = start; i < end; i++) {
        const rec = i * record;
        labels[i - start] = buf[rec + layout.labelBytes - 1];
        planarToInterleaved(buf.subarray(rec + layout.labelBytes, rec + record), hwc.subarray((i - start) * PIXELS));
      }
      let pixels = hwc;
      if (ctx.size !== SIDE) {
        pixels = new Uint8Array((end - start) * outBytes);
        const resampler = new Resampler(SIDE, SIDE, 3, ctx.size);
        for (let i = 0; i < end - start; i++)
          resampler.apply(hwc.subarray(i * PIXELS, (i + 1) * PIXELS), pixels.subarray(i * outBytes));
      }
      ctx.progress(done + end, wanted);
      yield { pixels, count: end - start, channels: 3, labels };
    }
    done += n;
  }
}

/** R plane, G plane, B plane -> RGB per pixel. */
function planarToInterleaved(planar: Uint8Array, out: Uint8Array): void {
  for (let p = 0; p < PLANE; p++) {
    out[3 * p] = planar[p];
    out[3 * p + 1] = planar[PLANE + p];
    out[3 * p + 2] = planar[2 * PLANE + p];
  }
}
