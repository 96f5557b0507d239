// Test fixtures generated on the fly: an image folder in every supported format and condition, CIFAR binaries.
import sharp from 'sharp';
import { mkdir, mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `dc-data-${prefix}-`));

const solid = (width: number, height: number, r: number, g: number, b: number) =>
  sharp({ create: { width, height, channels: 3, background: { r, g, b } } });

/** width x height RGB raw pixels from a per-pixel function. */
export function rawImage(width: number, height: number, px: (x: number, y: number) => [number, number, number]) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(px(x, y), (y * width + x) * 3);
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Colours the tests expect back, per file (sRGB, at any size: every file is a flat colour unless noted). */
export const FOLDER_COLOURS = {
  'cats/a.png': [200, 30, 40],
  'cats/c.webp': [30, 200, 40],
  'cats/d.gif': [255, 255, 0],
  'cats/e.tiff': [20, 40, 220],
  'cats/f.avif': [180, 180, 30],
  'dogs/cmyk.jpg': [255, 0, 0],
  'dogs/deep16.png': [100, 150, 200],
  'dogs/grey.png': [90, 90, 90],
  'dogs/nested/sub.png': [10, 120, 10],
  'dogs/locked.png': [60, 60, 160],
} as const;

/**
 * cats/: PNG, JPEG with EXIF orientation 6, WebP, GIF, TIFF, AVIF.
 * dogs/: grey PNG, PNG with alpha, 16-bit PNG, CMYK JPEG, a nested PNG, and bad files: corrupt.jpg (random
 * bytes), empty.png (0 bytes), notes.txt, locked.png (a valid PNG, chmod 000). Plus a hidden file, ignored.
 */
export async function makeImageFolder(root: string): Promise<void> {
  await mkdir(join(root, 'cats'), { recursive: true });
  await mkdir(join(root, 'dogs', 'nested'), { recursive: true });
  const c = FOLDER_COLOURS;
  await solid(40, 30, ...c['cats/a.png'])
    .png()
    .toFile(join(root, 'cats/a.png'));
  // Stored 40x20, left half red, right half blue; orientation 6 means "rotate 90 degrees clockwise to display",
  // so the displayed image is 20x40 with red on top and blue below.
  await rawImage(40, 20, (x) => (x < 20 ? [230, 0, 0] : [0, 0, 230]))
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(join(root, 'cats/b.jpg'));
  await solid(24, 24, ...c['cats/c.webp'])
    .webp({ quality: 95 })
    .toFile(join(root, 'cats/c.webp'));
  await solid(24, 24, ...c['cats/d.gif'])
    .gif()
    .toFile(join(root, 'cats/d.gif'));
  await solid(24, 24, ...c['cats/e.tiff'])
    .tiff()
    .toFile(join(root, 'cats/e.tiff'));
  await solid(24, 24, ...c['cats/f.avif'])
    .avif({ quality: 90 })
    .toFile(join(root, 'cats/f.avif'));
  await solid(24, 24, ...c['dogs/grey.png'])
    .toColourspace('b-w')
    .png()
    .toFile(join(root, 'dogs/grey.png'));
  // Left half opaque blue, right half fully transparent (flattened onto white).
  const rgba = Buffer.alloc(32 * 16 * 4);
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 32; x++) rgba.set(x < 16 ? [0, 0, 255, 255] : [0, 0, 0, 0], (y * 32 + x) * 4);
  await sharp(rgba, { raw: { width: 32, height: 16, channels: 4 } })
    .png()
    .toFile(join(root, 'dogs/alpha.png'));
  await solid(24, 24, ...c['dogs/deep16.png'])
    .toColourspace('rgb16')
    .png()
    .toFile(join(root, 'dogs/deep16.png'));
  await solid(24, 24, ...c['dogs/cmyk.jpg'])
    .toColourspace('cmyk')
    .jpeg({ quality: 95 })
    .toFile(join(root, 'dogs/cmyk.jpg'));
  await solid(24, 24, ...c['dogs/nested/sub.png'])
    .png()
    .toFile(join(root, 'dogs/nested/sub.png'));
  await solid(24, 24, ...c['dogs/locked.png'])
    .png()
    .toFile(join(root, 'dogs/locked.png'));
  await writeFile(join(root, 'dogs/corrupt.jpg'), Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7919) % 256)));
  await writeFile(join(root, 'dogs/empty.png'), Buffer.alloc(0));
  await writeFile(join(root, 'dogs/notes.txt'), 'not an image\n');
  await solid(8, 8, 0, 0, 0).png().toFile(join(root, 'cats/.hidden.png'));
  await chmod(join(root, 'dogs/locked.png'), 0o000);
}

/** CIFAR-10-style record: label, then R, G, B planes. Image i: R = 10i+1, G = 10i+2 but G[0] = 255, B[p] = p % 256. */
export function cifarRecord(i: number, labelBytes: number[]): Buffer {
  const rec = Buffer.alloc(labelBytes.length + 3072);
  rec.set(labelBytes, 0);
  const o = labelBytes.length;
  rec.fill(10 * i + 1, o, o + 1024);
  rec.fill(10 * i + 2, o + 1024, o + 2048);
  rec[o + 1024] = 255;
  for (let p = 0; p < 1024; p++) rec[o + 2048 + p] = p % 256;
  return rec;
}

export async function makeCifar10(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rec = (i: number) => cifarRecord(i, [i % 10]);
  await writeFile(join(dir, 'data_batch_1.bin'), Buffer.concat([0, 1, 2].map(rec)));
  await writeFile(join(dir, 'data_batch_2.bin'), Buffer.concat([3, 4].map(rec)));
  await writeFile(join(dir, 'test_batch.bin'), Buffer.concat([9].map(rec)));
  await writeFile(
    join(dir, 'batches.meta.txt'),
    'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n',
  );
}

/** A small seeded generator for the tests (mulberry32): the data layer takes any `() => number` in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
