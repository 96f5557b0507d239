import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { Resampler } from '../../../src/trainer/data/resample';

test('resampler: identity at the same size, constants stay constant, downscaling averages (antialiased)', () => {
  const img = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256);
  const same = new Uint8Array(28 * 28);
  new Resampler(28, 28, 1, 28).apply(img, same);
  assert.deepEqual(same, img);

  const flat = new Uint8Array(28 * 28).fill(77);
  const up = new Uint8Array(32 * 32);
  new Resampler(28, 28, 1, 32).apply(flat, up);
  assert.ok(up.every((v) => v === 77));

  // A 1-px checkerboard halved: every output pixel averages black and white.
  const checker = Uint8Array.from({ length: 32 * 32 }, (_, i) => (((i >> 5) + (i & 31)) % 2 ? 255 : 0));
  const half = new Uint8Array(16 * 16);
  new Resampler(32, 32, 1, 16).apply(checker, half);
  for (let y = 1; y < 15; y++)
    for (let x = 1; x < 15; x++) assert.ok(Math.abs(half[y * 16 + x] - 127.5) <= 1, `${half[y * 16 + x]}`);
});

test('resampler: shorter side then centre crop, close to sharp (libvips) on a smooth RGB image', async () => {
  const w = 48;
  const h = 30;
  const img = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img.set([x * 5, y * 8, (x + y) * 3], (y * w + x) * 3);
  for (const size of [20, 45]) {
    const ours = new Uint8Array(size * size * 3);
    new Resampler(w, h, 3, size).apply(img, ours);
    const theirs = await sharp(img, { raw: { width: w, height: h, channels: 3 } })
      .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'linear' })
      .raw()
      .toBuffer();
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst <= 6, `size ${size}: max difference to sharp ${worst}`);
  }
});
