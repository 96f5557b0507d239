import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { openDataset, type Dataset } from '../../../src/trainer/data';
import { FOLDER_COLOURS, makeImageFolder, rawImage, tempDir } from './fixtures';

const S = 16;
const pixel = (b: Uint8Array, i: number, y: number, x: number) =>
  Array.from(b.subarray((i * S * S + y * S + x) * 3, (i * S * S + y * S + x) * 3 + 3));
const near = (got: number[], want: readonly number[], tol: number, what: string) =>
  assert.ok(
    got.every((v, c) => Math.abs(v - want[c]) <= tol),
    `${what}: got ${got}, want ${want} +-${tol}`,
  );
const canRead = (p: string) => {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

test('image folder: every format and colour layout decoded to RGB, class subfolders as labels, bad files skipped', async () => {
  const root = await tempDir('folder');
  const images = join(root, 'images');
  await makeImageFolder(images);
  const lockedReadable = canRead(join(images, 'dogs/locked.png')); // root reads through chmod 000
  const reported: string[] = [];
  const ds = await openDataset({
    path: images,
    inputSize: S,
    cacheDir: join(root, 'cache'),
    onSkip: (s) => reported.push(s.path),
  });
  const rel = ds.paths!.map((p) => relative(images, p));
  const expected = [
    'cats/a.png',
    'cats/b.jpg',
    'cats/c.webp',
    'cats/d.gif',
    'cats/e.tiff',
    'cats/f.avif',
    'dogs/alpha.png',
    'dogs/cmyk.jpg',
    'dogs/deep16.png',
    'dogs/grey.png',
    ...(lockedReadable ? ['dogs/locked.png'] : []),
    'dogs/nested/sub.png',
  ];
  assert.deepEqual(rel, expected);
  assert.equal(ds.size, expected.length);
  assert.equal(ds.info.kind, 'folder');
  assert.equal(ds.channels, 3);
  assert.deepEqual(ds.classNames, ['cats', 'dogs']);
  assert.deepEqual(
    Array.from(ds.labels!),
    expected.map((p) => (p.startsWith('cats') ? 0 : 1)),
  );
  assert.equal(ds.normalization.source, 'imagenet');

  const reasons = Object.fromEntries(ds.skipped.map((s) => [relative(images, s.path), s.reason]));
  assert.match(reasons['dogs/corrupt.jpg'], /not a decodable image/);
  assert.match(reasons['dogs/empty.png'], /empty file/);
  assert.match(reasons['dogs/notes.txt'], /not an image file \(\.txt\)/);
  if (!lockedReadable) assert.match(reasons['dogs/locked.png'], /permission denied/);
  assert.equal(ds.skipped.length, lockedReadable ? 3 : 4);
  assert.equal(ds.info.skipped, ds.skipped.length);
  assert.deepEqual(reported.sort(), ds.skipped.map((s) => s.path).sort(), 'each skip reported once');

  const b = await ds.readBatch(ds.paths!.map((_, i) => i));
  for (const [file, colour] of Object.entries(FOLDER_COLOURS)) {
    const i = rel.indexOf(file);
    if (i < 0) continue;
    const tol = file.endsWith('.avif') || file.endsWith('.webp') ? 12 : file.endsWith('.jpg') ? 40 : 3;
    near(pixel(b, i, 8, 8), colour, tol, file);
  }
  // CMYK red comes back red whatever profile conversion does exactly.
  const cmyk = pixel(b, rel.indexOf('dogs/cmyk.jpg'), 8, 8);
  assert.ok(cmyk[0] > 180 && cmyk[1] < 60 && cmyk[2] < 60, `cmyk ${cmyk}`);
  // EXIF orientation 6 applied: red on top, blue below (unrotated, red would be on the left).
  const exif = rel.indexOf('cats/b.jpg');
  near(pixel(b, exif, 2, 8), [230, 0, 0], 40, 'rotated top');
  near(pixel(b, exif, 13, 8), [0, 0, 230], 40, 'rotated bottom');
  near(pixel(b, exif, 2, 1), [230, 0, 0], 40, 'rotated top-left');
  // Alpha: 32x16, left half opaque blue, right half transparent -> white; the centre crop keeps columns 8..23.
  const alpha = rel.indexOf('dogs/alpha.png');
  near(pixel(b, alpha, 8, 2), [0, 0, 255], 2, 'opaque');
  near(pixel(b, alpha, 8, 13), [255, 255, 255], 2, 'transparent');
  await ds.close();
  await chmod(join(images, 'dogs/locked.png'), 0o644);
  await rm(root, { recursive: true });
});

test('resize by the shorter side, then centre crop (wide and tall images)', async () => {
  const root = await tempDir('geometry');
  const dir = join(root, 'flat');
  await mkdir(dir);
  const bands = (i: number, n: number) =>
    (i < n / 4 ? [255, 0, 0] : i < (3 * n) / 4 ? [0, 255, 0] : [0, 0, 255]) as [number, number, number];
  // 40x20 at S=20: no resize; the crop is exactly columns 10..29, all green.
  await rawImage(40, 20, (x) => bands(x, 40))
    .png()
    .toFile(join(dir, 'a-exact.png'));
  // 80x40 at S=20: halved to 40x20, same crop. 40x80: the rows version.
  await rawImage(80, 40, (x) => bands(x, 80))
    .png()
    .toFile(join(dir, 'b-wide.png'));
  await rawImage(40, 80, (_, y) => bands(y, 80))
    .png()
    .toFile(join(dir, 'c-tall.png'));
  // 30x20 with a 1-px red frame: after the crop (columns 5..24) the left/right frame is gone, top/bottom stay.
  await rawImage(30, 20, (x, y) => (x === 0 || y === 0 || x === 29 || y === 19 ? [255, 0, 0] : [0, 0, 0]))
    .png()
    .toFile(join(dir, 'd-frame.png'));
  const ds = await openDataset({ path: dir, inputSize: 20, cacheDir: join(root, 'cache') });
  assert.equal(ds.info.labelled, false, 'a flat folder is unlabelled');
  assert.equal(ds.labels, undefined);
  const b = await ds.readBatch([0, 1, 2, 3]);
  const at = (i: number, y: number, x: number) =>
    Array.from(b.subarray((i * 400 + y * 20 + x) * 3, (i * 400 + y * 20 + x) * 3 + 3));
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 20; x++) assert.deepEqual(at(0, y, x), [0, 255, 0], `exact ${y},${x}`);
  for (let k = 1; k < 19; k++) {
    for (const v of [at(1, k, k), at(1, 0, k), at(2, k, k), at(2, k, 0)]) near(v, [0, 255, 0], 2, `resized ${k}`);
  }
  near(at(3, 0, 10), [255, 0, 0], 0, 'top frame kept');
  near(at(3, 10, 0), [0, 0, 0], 0, 'left frame cropped');
  near(at(3, 10, 19), [0, 0, 0], 0, 'right frame cropped');
  await rm(root, { recursive: true });
});

test('a folder of grey images is cached with one channel and its own statistics', async () => {
  const root = await tempDir('grey');
  const dir = join(root, 'g');
  await mkdir(dir);
  await rawImage(10, 10, () => [51, 51, 51])
    .toColourspace('b-w')
    .png()
    .toFile(join(dir, '1.png'));
  await rawImage(10, 10, () => [153, 153, 153])
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toFile(join(dir, '2.jpg'));
  const ds = await openDataset({ path: dir, inputSize: 10, cacheDir: join(root, 'cache') });
  assert.equal(ds.channels, 1);
  assert.equal(ds.info.channels, 1);
  const b = await ds.readBatch([0, 1]);
  assert.equal(b.length, 200);
  assert.equal(b[0], 51);
  assert.ok(Math.abs(b[150] - 153) <= 1);
  assert.equal(ds.normalization.source, 'computed');
  assert.ok(Math.abs(ds.normalization.mean[0] - 0.4) < 0.003, String(ds.normalization.mean));
  assert.ok(Math.abs(ds.normalization.std[0] - 0.2) < 0.003, String(ds.normalization.std));
  await rm(root, { recursive: true });
});

test('empty dataset and missing path are one-line errors naming the path', async () => {
  const root = await tempDir('empty');
  const dir = join(root, 'nothing-usable');
  await mkdir(dir);
  await writeFile(join(dir, 'a.txt'), 'x');
  await writeFile(join(dir, 'b.png'), Buffer.alloc(0));
  const oneLine = (re: RegExp) => (err: Error) => {
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), err.message);
    return true;
  };
  await assert.rejects(
    openDataset({ path: dir, inputSize: 16, cacheDir: join(root, 'cache') }),
    oneLine(/^no readable image in .*nothing-usable \(2 files skipped/),
  );
  await assert.rejects(
    openDataset({ path: join(root, 'nope'), inputSize: 16, cacheDir: join(root, 'cache') }),
    oneLine(/^dataset not found: .*nope$/),
  );
  // Nothing half-written is left in the cache folder.
  assert.deepEqual(
    (await readdir(join(root, 'cache'))).filter((f) => f.includes('.tmp')),
    [],
  );
  await rm(root, { recursive: true });
});

test('an unreadable file (permission denied) is skipped, also for a non-root user', async (t) => {
  const root = await tempDir('perm');
  const images = join(root, 'images');
  await makeImageFolder(images);
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) {
    const ds: Dataset = await openDataset({ path: images, inputSize: S, cacheDir: join(root, 'cache') });
    assert.ok(ds.skipped.some((s) => s.path.endsWith('locked.png') && /permission denied/.test(s.reason)));
    await chmod(join(images, 'dogs/locked.png'), 0o644);
    await rm(root, { recursive: true });
    return;
  }
  // Root reads through chmod 000, so open the folder from a child process running as "nobody".
  const nobody = 65534;
  await chmod(root, 0o755);
  for (const d of ['images', 'images/cats', 'images/dogs', 'images/dogs/nested']) await chmod(join(root, d), 0o755);
  const cache = join(root, 'cache');
  await mkdir(cache, { mode: 0o777 });
  await chmod(cache, 0o777);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'open-folder.child.ts'), images, cache],
    {
      uid: nobody,
      gid: nobody,
      encoding: 'utf8',
      env: { ...process.env, HOME: cache },
      timeout: 60_000,
    },
  );
  if (child.error || child.status !== 0) {
    t.diagnostic(`could not run as nobody: ${child.error?.message ?? child.stderr.slice(-400)}`);
  }
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    size: number;
    skipped: { path: string; reason: string }[];
  };
  const locked = result.skipped.find((s) => s.path.endsWith('locked.png'));
  assert.ok(locked, JSON.stringify(result.skipped));
  assert.match(locked.reason, /permission denied/);
  assert.equal(result.size, 11);
  await chmod(join(images, 'dogs/locked.png'), 0o644);
  await rm(root, { recursive: true });
});
