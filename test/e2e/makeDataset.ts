// The e2e workspace's image folder: PNGs in class subfolders, encoded with sharp from the bundled Fashion-MNIST
// sample, plus one corrupt file and one zero-byte file that the trainer must skip (and list in skipped.txt).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const SAMPLE = join(__dirname, '..', '..', 'data', 'fashion-mnist');
const CLASSES = ['tshirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];

export interface ImageFolder {
  root: string;
  images: number;
  /** The two files the trainer must skip, relative to root. */
  bad: string[];
}

/** Body of a gzipped IDX file after its header (magic + one u32 per dimension). */
function idxBody(file: string, ndim: number): Buffer {
  return gunzipSync(readFileSync(file)).subarray(4 + 4 * ndim);
}

/** `perClass` images of each of the 10 classes, taken in order from the sample, as 28x28 grayscale PNGs. */
export async function makeImageFolder(root: string, perClass: number): Promise<ImageFolder> {
  const pixels = idxBody(join(SAMPLE, 't10k-images-idx3-ubyte.gz'), 3);
  const labels = idxBody(join(SAMPLE, 't10k-labels-idx1-ubyte.gz'), 1);
  const count = new Array<number>(CLASSES.length).fill(0);
  for (const c of CLASSES) mkdirSync(join(root, c), { recursive: true });
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < labels.length && jobs.length < perClass * CLASSES.length; i++) {
    const c = labels[i]!;
    if (count[c]! >= perClass) continue;
    const n = count[c]!++;
    const img = sharp(pixels.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } });
    jobs.push(img.png().toFile(join(root, CLASSES[c]!, `${String(n).padStart(4, '0')}.png`)));
  }
  await Promise.all(jobs);
  const bad = ['coat/corrupt.png', 'bag/empty.png'];
  writeFileSync(join(root, bad[0]!), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(200, 0x5a)])); // PNG magic, then junk
  writeFileSync(join(root, bad[1]!), Buffer.alloc(0));
  return { root, images: jobs.length, bad };
}
