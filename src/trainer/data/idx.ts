// IDX files (MNIST, Fashion-MNIST), gzipped or raw: "images" (n x h x w [x c]) with "labels" (n) beside them.
import { promisify } from 'node:util';
import { createGunzip, gunzip as gunzipCb } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hashFile, hashStrings } from './fingerprint';
import { Resampler } from './resample';
import { DatasetError, type DecodeContext, type Source, type SourceChunk } from './source';

const gunzip = promisify(gunzipCb); // off the event loop, in libuv's pool

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Fashion-MNIST's classes in label order (its IDX files carry none). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const IDX_IMAGES = /images[.-]idx3[.-]ubyte(\.gz)?$/;

/** Does this file start like an IDX file (raw) or a gzip stream (then the name decides)? */
export function looksLikeIdxName(file: string): boolean {
  return /idx[1-4][.-]ubyte(\.gz)?$/.test(basename(file));
}

/** In a folder: the images file of the train split if there is one, else the first other split. */
export async function findIdxImages(folder: string): Promise<string | undefined> {
  const names = (await readdir(folder)).filter((n) => IDX_IMAGES.test(n)).sort();
  const pick = names.find((n) => n.startsWith('train')) ?? names[0];
  return pick === undefined ? undefined : join(folder, pick);
}

/** The labels file beside an images file, by the standard names (gzipped or not). */
export async function findIdxLabels(imagesFile: string): Promise<string | undefined> {
  const base = basename(imagesFile)
    .replace(/images([.-])idx3/, 'labels$1idx1')
    .replace(/\.gz$/, '');
  for (const name of [base + '.gz', base]) {
    const candidate = join(dirname(imagesFile), name);
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

export async function readIdx(file: string): Promise<IdxArray> {
  let buf: Uint8Array = await readFile(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = await gunzip(buf);
  return parseIdx(buf, file);
}

/** Header: two zero bytes, type 0x08 (unsigned byte), number of dimensions, then each dimension big-endian. */
export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(`${file}: not an IDX file`);
  if (buf[2] !== 0x08)
    throw new DatasetError(`${file}: IDX element type 0x${buf[2].toString(16)} is not unsigned byte`);
  const ndim = buf[3];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * ndim) throw new DatasetError(`${file}: truncated IDX header`);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * ndim;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (buf.length - offset < expected) {
    throw new DatasetError(`${file}: truncated IDX file (${buf.length - offset} of ${expected} data bytes)`);
  }
  return { dims, data: buf.subarray(offset, offset + expected) };
}

/** An IDX dataset: `path` is the images file, or a folder holding one. */
export async function idxSource(path: string, imagesFile: string): Promise<Source> {
  const labelsFile = await findIdxLabels(imagesFile);
  const header = parseIdxHeaderOnly(await readIdxHead(imagesFile), imagesFile);
  const files = labelsFile ? [imagesFile, labelsFile] : [imagesFile];
  const fingerprint = hashStrings(await Promise.all(files.map(hashFile)));
  const name = basename(imagesFile);
  return {
    kind: 'idx',
    path,
    fingerprint,
    total: header.dims[0],
    labelled: labelsFile !== undefined,
    classNames: labelsFile && /fashion/i.test(imagesFile) ? FASHION_MNIST_CLASSES : undefined,
    listingSkipped: [],
    itemName: (i) => `${name}#${i}`,
    decode: (ctx) => decodeIdx(imagesFile, labelsFile, ctx),
  };
}

async function* decodeIdx(
  imagesFile: string,
  labelsFile: string | undefined,
  ctx: DecodeContext,
): AsyncGenerator<SourceChunk> {
  const images = await readIdx(imagesFile);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new DatasetError(`${imagesFile}: IDX images need 3 or 4 dimensions, found ${images.dims.length}`);
  }
  const [n, h, w] = images.dims;
  const c = images.dims[3] ?? 1;
  if (c !== 1 && c !== 3) throw new DatasetError(`${imagesFile}: ${c} channels per pixel (expected 1 or 3)`);
  let labels: Uint8Array | undefined;
  if (labelsFile) {
    const l = await readIdx(labelsFile);
    if (l.dims.length !== 1 || l.dims[0] !== n) {
      throw new DatasetError(`${labelsFile}: ${l.dims.join('x')} labels for ${n} images`);
    }
    labels = l.data;
  }
  const count = Math.min(n, ctx.limit);
  const inBytes = h * w * c;
  const outBytes = ctx.size * ctx.size * c;
  const CHUNK = 1024;
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    let pixels: Uint8Array;
    if (h === ctx.size && w === ctx.size) {
      pixels = images.data.slice(start * inBytes, end * inBytes);
    } else {
      pixels = new Uint8Array((end - start) * outBytes);
      const resampler = new Resampler(w, h, c, ctx.size);
      for (let i = start; i < end; i++) {
        resampler.apply(images.data.subarray(i * inBytes, (i + 1) * inBytes), pixels.subarray((i - start) * outBytes));
      }
    }
    ctx.progress(end, count);
    yield { pixels, count: end - start, channels: c, labels: labels?.subarray(start, end) };
  }
}

/** The first bytes of an IDX file, gunzipping only what the header needs. */
async function readIdxHead(file: string): Promise<Uint8Array> {
  const magic = Buffer.alloc(2);
  const fh = await open(file, 'r');
  try {
    await fh.read(magic, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const head = magic;
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const stream = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
      if (got >= 20) break;
    }
  } catch (err) {
    throw new DatasetError(`${file}: cannot read (${(err as Error).message})`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

function parseIdxHeaderOnly(head: Uint8Array, file: string): { dims: number[] } {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08)
    throw new DatasetError(`${file}: not an IDX images file`);
  const ndim = head[3];
  if (head.length < 4 + 4 * ndim) throw new DatasetError(`${file}: truncated IDX header`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return { dims: Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false)) };
}
