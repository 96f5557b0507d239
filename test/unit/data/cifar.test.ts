import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../../../src/trainer/data';
import { cifarRecord, makeCifar10, tempDir } from './fixtures';

test('CIFAR-10 binary folder: train batches in order, planes interleaved to RGB, labels and class names', async () => {
  const dir = await tempDir('cifar');
  await makeCifar10(join(dir, 'cifar-10-batches-bin')); // the official archive's folder, found from its parent
  const ds = await openDataset({ path: dir, inputSize: 32, cacheDir: join(dir, 'cache') });
  assert.equal(ds.info.kind, 'cifar');
  assert.equal(ds.size, 5); // data_batch_1 (3) + data_batch_2 (2); the test batch is not training data
  assert.equal(ds.channels, 3);
  assert.deepEqual(Array.from(ds.labels!), [0, 1, 2, 3, 4]);
  assert.equal(ds.classNames!.length, 10);
  assert.equal(ds.classNames![3], 'cat');
  assert.equal(ds.itemName(3), 'data_batch_2.bin#0');
  const b = await ds.readBatch([4, 0]);
  assert.equal(b.length, 2 * 3072);
  // Image 4: pixel 0 = (R 41, G 255, B 0); pixel 5 = (41, 42, 5).
  assert.deepEqual(Array.from(b.subarray(0, 3)), [41, 255, 0]);
  assert.deepEqual(Array.from(b.subarray(15, 18)), [41, 42, 5]);
  assert.deepEqual(Array.from(b.subarray(3072 + 15, 3072 + 18)), [1, 2, 5]);
  assert.equal(ds.normalization.source, 'computed');
  assert.equal(ds.normalization.mean.length, 3);
  // R is constant per image: mean over images 0..4 of (10i + 1) / 255; std across images only.
  assert.ok(Math.abs(ds.normalization.mean[0] - 21 / 255) < 1e-9);
  assert.ok(Math.abs(ds.normalization.std[0] - Math.sqrt(200) / 255) < 1e-9);
  await rm(dir, { recursive: true });
});

test('CIFAR-100 train.bin uses the fine label (second byte); a CIFAR .bin resized to 16 keeps flat planes flat', async () => {
  const dir = await tempDir('cifar100');
  await writeFile(join(dir, 'train.bin'), Buffer.concat([cifarRecord(0, [7, 42]), cifarRecord(1, [3, 99])]));
  await writeFile(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n'));
  const ds = await openDataset({ path: dir, inputSize: 16, cacheDir: join(dir, 'cache') });
  assert.deepEqual(Array.from(ds.labels!), [42, 99]);
  assert.equal(ds.classNames![99], 'class99');
  const b = await ds.readBatch([1]);
  assert.equal(b.length, 16 * 16 * 3);
  assert.equal(b[3 * 100], 11); // R plane is 11 everywhere, so every resized R value is 11
  assert.equal(b[3 * 200], 11);

  await writeFile(join(dir, 'odd.bin'), Buffer.alloc(3073 * 2 + 5));
  await assert.rejects(
    openDataset({ path: join(dir, 'odd.bin'), inputSize: 32, cacheDir: join(dir, 'cache') }),
    /not a whole number of/,
  );
  await rm(dir, { recursive: true });
});
