import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { ensureThumbnails, parseIndexList, type PixelSource } from '../../../src/trainer/analyze';

/** 20 grey 8x8 images; image i has value i*10 everywhere except a white top-left pixel. */
function fakePixels(channels = 1): PixelSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    size: 20,
    inputSize: 8,
    channels,
    reads,
    readBatch: async (idx) => {
      const out = new Uint8Array(idx.length * 64 * channels);
      Array.from(idx).forEach((i, j) => {
        reads.push(i);
        out.fill(i * 10, j * 64 * channels, (j + 1) * 64 * channels);
        out.fill(255, j * 64 * channels, j * 64 * channels + channels);
      });
      return out;
    },
  };
}

test('thumbnails: one PNG per requested index, decodable, at the asked size; cached on the second call', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'dc-thumbs-'));
  const data = fakePixels();
  const made = await ensureThumbnails(run, data, [3, 7, 3], 32);
  assert.deepEqual(made, [
    { index: 3, thumb: 'thumbs/s32/3.png' },
    { index: 7, thumb: 'thumbs/s32/7.png' },
    { index: 3, thumb: 'thumbs/s32/3.png' },
  ]);
  assert.deepEqual(data.reads.sort(), [3, 7]);
  const meta = await sharp(path.join(run, 'thumbs/s32/7.png')).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 32, 32, 1]);
  const px = await sharp(path.join(run, 'thumbs/s32/7.png')).extractChannel(0).raw().toBuffer();
  // 8 -> 32 is a whole-number enlargement: square pixels, the bright corner is exactly 4x4.
  assert.equal(px[0], 255);
  assert.equal(px[3 * 32 + 3], 255);
  assert.equal(px[4], 70);
  assert.equal(px[31 * 32 + 31], 70);
  const before = (await fs.stat(path.join(run, 'thumbs/s32/3.png'))).mtimeMs;
  await ensureThumbnails(run, data, [3, 7, 9], 32);
  assert.deepEqual(
    data.reads.sort((a, b) => a - b),
    [3, 7, 9],
    'only the new one is read',
  );
  assert.equal((await fs.stat(path.join(run, 'thumbs/s32/3.png'))).mtimeMs, before);
  // Nothing but the PNGs is left behind (no temp files).
  assert.deepEqual((await fs.readdir(path.join(run, 'thumbs/s32'))).sort(), ['3.png', '7.png', '9.png']);
  await assert.rejects(
    ensureThumbnails(run, data, [20], 32),
    /image index 20 is out of range \(the dataset has 20 images\)/,
  );
});

test('thumbnails: RGB at a non-integer scale; concurrent writers of the same files leave whole PNGs', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'dc-thumbs-'));
  const indices = Array.from({ length: 20 }, (_, i) => i);
  await Promise.all([1, 2, 3].map(() => ensureThumbnails(run, fakePixels(3), indices, 20)));
  const files = (await fs.readdir(path.join(run, 'thumbs/s20'))).sort();
  assert.equal(files.length, 20);
  for (const f of files) {
    const meta = await sharp(path.join(run, 'thumbs/s20', f)).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [20, 20, 3]);
  }
});

test('index lists: ranges, lists, duplicates, errors', () => {
  assert.deepEqual(parseIndexList('0-3'), [0, 1, 2, 3]);
  assert.deepEqual(parseIndexList('5, 1,2-3,1'), [5, 1, 2, 3]);
  assert.throws(() => parseIndexList('3-1'), /runs backwards/);
  assert.throws(() => parseIndexList('a'), /'a' is not a number/);
  assert.throws(() => parseIndexList('1,,2'), /is not a number/);
});
