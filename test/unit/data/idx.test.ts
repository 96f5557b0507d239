import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { bundledSamplePath, defaultFullDataset, openDataset } from '../../../src/trainer/data';
import { tempDir } from './fixtures';

const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

test('the bundled sample: Fashion-MNIST test split, 10 000 labelled images, known first and last images', async () => {
  const cacheDir = await tempDir('cache');
  const ds = await openDataset({ inputSize: 28, cacheDir });
  assert.equal(ds.info.kind, 'sample');
  assert.equal(ds.size, 10000);
  assert.equal(ds.info.images, 10000);
  assert.equal(ds.channels, 1);
  assert.equal(ds.info.labelled, true);
  assert.equal(ds.skipped.length, 0);
  // Values read independently with numpy from the same gzip files.
  assert.deepEqual(Array.from(ds.labels!.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const counts = new Array(10).fill(0);
  for (const l of ds.labels!) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
  assert.equal(ds.classNames![9], 'Ankle boot');
  const batch = await ds.readBatch([0, 9999]);
  assert.equal(batch.length, 2 * 784);
  assert.equal(sum(batch.subarray(0, 784)), 33456);
  assert.equal(sum(batch.subarray(784)), 24390);
  assert.equal(batch[14 * 28 + 14], 110);
  assert.deepEqual(ds.normalization, { mean: [0.286], std: [0.353], source: 'fashion-mnist' });
  const x = await ds.evalBatch([0]);
  assert.deepEqual(x.shape, [1, 28, 28, 1]);
  const v = await x.data();
  assert.ok(Math.abs(v[0] - (0 - 0.286) / 0.353) < 1e-6);
  assert.ok(Math.abs(v[14 * 28 + 14] - (110 / 255 - 0.286) / 0.353) < 1e-6);
  x.dispose();
  assert.match(ds.itemName(7), /t10k-images-idx3-ubyte\.gz#7$/);
  await ds.close();
  await rm(cacheDir, { recursive: true });
});

test('raw (gunzipped) IDX found in a folder, labels found beside it; --limit takes the first N; resize to 32', async () => {
  const dir = await tempDir('idx');
  const cacheDir = join(dir, 'cache');
  const sample = bundledSamplePath();
  await writeFile(join(dir, 't10k-images-idx3-ubyte'), gunzipSync(await readFile(sample)));
  await writeFile(
    join(dir, 't10k-labels-idx1-ubyte'),
    gunzipSync(await readFile(sample.replace('images-idx3', 'labels-idx1'))),
  );
  const ds = await openDataset({ path: dir, inputSize: 28, limit: 50, cacheDir });
  assert.equal(ds.info.kind, 'idx');
  assert.equal(ds.size, 50);
  assert.equal(ds.labels!.length, 50);
  assert.equal(ds.labels![0], 9);
  assert.equal(sum(await ds.readBatch([0])), 33456);
  // Not under a "fashion" path: statistics computed over the 50 cached images.
  assert.equal(ds.normalization.source, 'computed');
  assert.ok(ds.normalization.mean[0] > 0.2 && ds.normalization.mean[0] < 0.4, String(ds.normalization.mean));

  const big = await openDataset({ path: join(dir, 't10k-images-idx3-ubyte'), inputSize: 32, limit: 3, cacheDir });
  assert.equal(big.inputSize, 32);
  const b = await big.readBatch([0, 1, 2]);
  assert.equal(b.length, 3 * 32 * 32);
  // Resizing 28 -> 32 keeps the overall brightness (bilinear): within 3% of the original mean.
  const ratio = sum(b.subarray(0, 1024)) / 1024 / (33456 / 784);
  assert.ok(Math.abs(ratio - 1) < 0.03, `brightness ratio ${ratio}`);
  await rm(dir, { recursive: true });
});

test('an IDX images file without labels is unlabelled; a truncated one is a one-line error', async () => {
  const dir = await tempDir('idx-bad');
  const cacheDir = join(dir, 'cache');
  await copyFile(bundledSamplePath(), join(dir, 'train-images-idx3-ubyte.gz'));
  const ds = await openDataset({ path: join(dir, 'train-images-idx3-ubyte.gz'), inputSize: 28, limit: 5, cacheDir });
  assert.equal(ds.info.labelled, false);
  assert.equal(ds.labels, undefined);
  const raw = gunzipSync(await readFile(bundledSamplePath()));
  await writeFile(join(dir, 'cut-images-idx3-ubyte'), raw.subarray(0, 16 + 784 * 3 + 100));
  await assert.rejects(
    openDataset({ path: join(dir, 'cut-images-idx3-ubyte'), inputSize: 28, cacheDir }),
    (err: Error) => {
      assert.match(err.message, /truncated IDX file/);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
  await rm(dir, { recursive: true });
});

test("defaultFullDataset finds Debian's Fashion-MNIST train split when installed", () => {
  const expected = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
  assert.equal(defaultFullDataset(), existsSync(expected) ? expected : undefined);
});
