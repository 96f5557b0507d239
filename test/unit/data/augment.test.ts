import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { augmentBatch, augmentationFor, randomResizedCropBox, toTensorBatch } from '../../../src/trainer/data';
import { resizedCrop, shiftedCrop } from '../../../src/trainer/data/augment';
import { seeded as mulberry32 } from './fixtures';

const ramp = (n: number, size: number, c: number) =>
  Uint8Array.from({ length: n * size * size * c }, (_, i) => (i * 31 + (i >> 7)) % 256);

test('augmentation parameters per input size', () => {
  assert.deepEqual(augmentationFor(28), { kind: 'pad-crop', pad: 2, flip: true });
  assert.deepEqual(augmentationFor(32), { kind: 'pad-crop', pad: 2, flip: true });
  assert.deepEqual(augmentationFor(64), { kind: 'pad-crop', pad: 5, flip: true });
  assert.deepEqual(augmentationFor(224), { kind: 'resized-crop', scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: true });
});

test('augmentBatch keeps the shape, is deterministic per seed, and differs between seeds', () => {
  for (const [size, c, n] of [
    [28, 1, 16],
    [224, 3, 2],
  ]) {
    const src = ramp(n, size, c);
    const copy = src.slice();
    const a = augmentBatch(src, n, size, c, mulberry32(7));
    const b = augmentBatch(src, n, size, c, mulberry32(7));
    const d = augmentBatch(src, n, size, c, mulberry32(8));
    assert.equal(a.length, src.length);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, d);
    assert.deepEqual(src, copy, 'input untouched');
  }
});

test('pad-crop: a shifted, zero-padded, optionally mirrored copy', () => {
  const size = 4;
  const img = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const out = new Uint8Array(16);
  shiftedCrop(img, out, size, 1, 1, -1, false); // out(y, x) = img(y + 1, x - 1)
  assert.deepEqual(Array.from(out), [0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0]);
  shiftedCrop(img, out.fill(0), size, 1, 0, 0, true);
  assert.deepEqual(Array.from(out.subarray(0, 4)), [4, 3, 2, 1]);
  // Over many draws at 28 px the shift covers exactly -2..2 (padding 2): count how often the corners are black.
  const white = new Uint8Array(28 * 28).fill(255);
  const rng = mulberry32(1);
  const aug = augmentBatch(new Uint8Array(200 * 784).fill(255), 200, 28, 1, rng);
  let maxBlackRows = 0;
  for (let i = 0; i < 200; i++) {
    let rows = 0;
    for (let y = 0; y < 28; y++) if (aug[i * 784 + y * 28 + 14] === 0) rows++;
    maxBlackRows = Math.max(maxBlackRows, rows);
  }
  assert.equal(maxBlackRows, 2);
  assert.equal(white[0], 255);
});

test("random resized crop: boxes inside the image with torchvision's scale and ratio; full box is identity", () => {
  const rng = mulberry32(3);
  for (let i = 0; i < 2000; i++) {
    const b = randomResizedCropBox(224, [0.08, 1], [3 / 4, 4 / 3], rng);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= 224 && b.left + b.width <= 224, JSON.stringify(b));
    const area = (b.width * b.height) / 224 ** 2;
    assert.ok(area > 0.07 && area <= 1, `area ${area}`);
    const ratio = b.width / b.height;
    assert.ok(ratio > 0.7 && ratio < 1.4, `ratio ${ratio}`);
  }
  // Impossible scale forces the fallback: the whole (square) image.
  assert.deepEqual(randomResizedCropBox(32, [2, 3], [3 / 4, 4 / 3], rng), { top: 0, left: 0, height: 32, width: 32 });
  const size = 8;
  const img = ramp(1, size, 3);
  const out = new Uint8Array(img.length);
  resizedCrop(img, out, size, 3, { top: 0, left: 0, height: size, width: size }, false);
  assert.deepEqual(out, img);
  resizedCrop(img, out, size, 3, { top: 0, left: 0, height: size, width: size }, true);
  assert.deepEqual(Array.from(out.subarray(0, 3)), Array.from(img.subarray(21, 24)));
  // Upscaling a 2x2 box to 8x8: corners keep the box's corner values, the centre is their mean.
  const flat = new Uint8Array(64);
  flat.set([0, 100], 0);
  flat.set([100, 200], 8);
  const up = new Uint8Array(64);
  resizedCrop(flat, up, 8, 1, { top: 0, left: 0, height: 2, width: 2 }, false);
  assert.equal(up[0], 0);
  assert.equal(up[63], 200);
  assert.equal(Math.round((up[27] + up[28] + up[35] + up[36]) / 4), 100);
});

test('toTensorBatch normalises per channel', async () => {
  const u8 = Uint8Array.from([0, 255, 51, 255, 0, 102]); // two 1x1 RGB images
  assert.throws(() => toTensorBatch(u8, 1, 1, 3, { mean: [0, 0, 0], std: [1, 1, 1], source: 'computed' }), RangeError);
  const y = toTensorBatch(u8, 2, 1, 3, { mean: [0.5, 0.2, 0], std: [0.5, 0.8, 0.4], source: 'computed' });
  assert.deepEqual(y.shape, [2, 1, 1, 3]);
  const v = Array.from(await y.data());
  const want = [-1, (1 - 0.2) / 0.8, 0.2 / 0.4, 1, -0.2 / 0.8, 0.4 / 0.4];
  v.forEach((got, i) => assert.ok(Math.abs(got - want[i]) < 1e-6, `${i}: ${got} vs ${want[i]}`));
  y.dispose();
});

test('timing: one batch of 256 at 28 px and of 32 at 224 px (diagnostic)', (t) => {
  for (const [n, size, c] of [
    [256, 28, 1],
    [32, 224, 3],
  ]) {
    const src = ramp(n, size, c);
    const norm = { mean: new Array(c).fill(0.5), std: new Array(c).fill(0.25), source: 'computed' as const };
    for (let w = 0; w < 3; w++) toTensorBatch(augmentBatch(src, n, size, c, mulberry32(w)), n, size, c, norm).dispose(); // warm-up (JIT)
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = augmentBatch(src, n, size, c, mulberry32(1));
    const augMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const t1 = performance.now();
    toTensorBatch(out, n, size, c, norm).dispose();
    t.diagnostic(
      `${n} x ${size}x${size}x${c}: augment ${augMs.toFixed(1)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms), normalise+tensor ${(performance.now() - t1).toFixed(1)} ms`,
    );
    assert.ok(augMs < 5000);
  }
});
