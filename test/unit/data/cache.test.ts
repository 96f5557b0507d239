import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openDataset } from '../../../src/trainer/data';
import { makeImageFolder, tempDir } from './fixtures';

test('second open is a cache hit: nothing decoded, same bytes, skips still reported once', async () => {
  const root = await tempDir('cache');
  const images = join(root, 'images');
  await makeImageFolder(images);
  const cacheDir = join(root, 'cache');
  let progress = 0;
  const skips: string[] = [];
  const open = () =>
    openDataset({
      path: images,
      inputSize: 16,
      cacheDir,
      onProgress: () => progress++,
      onSkip: (s) => skips.push(s.path),
    });
  const first = await open();
  assert.equal(first.cacheHit, false);
  assert.ok(progress > 0);
  const firstSkips = skips.splice(0);
  const all = Array.from({ length: first.size }, (_, i) => i);
  const bytes = await first.readBatch(all);

  progress = 0;
  const t0 = performance.now();
  const second = await open();
  const ms = performance.now() - t0;
  assert.equal(second.cacheHit, true);
  assert.equal(progress, 0, 'no decoding on a hit');
  assert.deepEqual(skips, firstSkips);
  assert.deepEqual(second.paths, first.paths);
  assert.deepEqual(second.labels, first.labels);
  assert.deepEqual(await second.readBatch(all), bytes);
  assert.equal(second.cacheFile, first.cacheFile);
  assert.ok(ms < 1000, `cache hit took ${ms} ms`);
  // Only the two committed files; no temp file left behind.
  assert.deepEqual((await readdir(cacheDir)).map((f) => f.replace(/.*\.v1\./, '')).sort(), ['json', 'u8']);

  // A changed file changes the fingerprint: the cache is rebuilt.
  await utimes(join(images, 'cats/a.png'), new Date(), new Date(Date.now() + 5000));
  const third = await open();
  assert.equal(third.cacheHit, false);
  assert.notEqual(third.info.fingerprint, first.info.fingerprint);
  await chmod(join(images, 'dogs/locked.png'), 0o644);
  await rm(root, { recursive: true });
});

test('streaming reads from disk equal in-memory reads; a torn cache file is rebuilt; limit reuses the full cache', async () => {
  const cacheDir = await tempDir('stream');
  const mem = await openDataset({ inputSize: 28, cacheDir, inMemory: true });
  const disk = await openDataset({ inputSize: 28, cacheDir, inMemory: false });
  assert.equal(disk.cacheHit, true);
  const indices = [5, 6, 7, 9999, 0, 1, 4242, 4243, 17];
  assert.deepEqual(await disk.readBatch(indices), await mem.readBatch(indices));
  const seq = Array.from({ length: 256 }, (_, i) => 1000 + i);
  assert.deepEqual(await disk.readBatch(seq), await mem.readBatch(seq));
  await assert.rejects(disk.readBatch([10000]), RangeError);
  await disk.close();

  const limited = await openDataset({ inputSize: 28, cacheDir, limit: 100 });
  assert.equal(limited.cacheHit, true, 'first 100 of the full cache');
  assert.equal(limited.size, 100);
  assert.equal(limited.labels!.length, 100);
  assert.deepEqual(await limited.readBatch([99]), await mem.readBatch([99]));

  await truncate(mem.cacheFile, 1000); // as if a copy had been cut short
  const stale = mem.cacheFile + '.tmp-4194303-1'; // left by a writer that was killed (no such process)
  await writeFile(stale, 'partial');
  const rebuilt = await openDataset({ inputSize: 28, cacheDir });
  assert.equal(rebuilt.cacheHit, false);
  assert.equal(rebuilt.size, 10000);
  assert.equal(existsSync(stale), false, 'stale temp file removed');
  // A stray temp file from a killed writer is not mistaken for a cache.
  await writeFile(rebuilt.cacheFile + '.tmp-1-2', 'junk');
  assert.equal((await openDataset({ inputSize: 28, cacheDir })).cacheHit, true);
  await rm(cacheDir, { recursive: true });
});

test('an unwritable default cache folder falls back to the temp dir with one warning', async () => {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = '/dev/null/not-a-folder';
  const warnings: string[] = [];
  try {
    const ds = await openDataset({ inputSize: 28, limit: 10, onWarning: (m) => warnings.push(m) });
    assert.equal(ds.size, 10);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /cannot write the image cache folder \/dev\/null\/not-a-folder\/deepcluster; using /);
    assert.ok(ds.cacheFile.startsWith(tmpdir()));
    await rm(ds.cacheFile, { force: true });
    await rm(ds.cacheFile.replace(/\.u8$/, '.json'), { force: true });
    await assert.rejects(
      openDataset({ inputSize: 28, limit: 10, cacheDir: '/dev/null/x' }),
      /^DatasetError: cannot write the image cache folder \/dev\/null\/x$/,
    );
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
});
