// Curation: the sidecar's edits and their application, carrying names to a re-clustered checkpoint by overlap,
// and the export round trip through the real CLI: rename + merge + junk + move on a run of the bundled sample,
// `deepcluster export` as CSV and as a labelled ImageFolder, which the dataset loader (what `train --data`
// opens) reads back with the curated names as its classes.
import { listedFiles } from '../../webview/fixture';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunManifest } from '../../../src/protocol/run';
import {
  applyCuration,
  emptyCuration,
  markJunk,
  mergeClusters,
  moveImage,
  readCuration,
  rebaseCuration,
  renameCluster,
  rootOf,
  writeCuration,
  CurationError,
} from '../../../src/runfolder/curation';
import { curatedRows, folderName } from '../../../src/runfolder/curatedExport';
import { formatImageNames } from '../../../src/runfolder/imageNames';
import { openDataset } from '../../../src/trainer/data';
import { bundledSamplePath } from '../../../src/trainer/data/sample';
import { runCli } from '../cliRunner';

test('edits: rename, merge (names follow the target), junk, move; applied per image', () => {
  let c = emptyCuration(3);
  c = renameCluster(c, 0, 'shoes');
  c = renameCluster(c, 2, 'bags');
  c = mergeClusters(c, [1], 0);
  c = markJunk(c, 3, true);
  c = moveImage(c, 5, 2);
  assert.equal(rootOf(c, 1), 0);
  // Renaming a merged cluster renames the group it joined.
  c = renameCluster(c, 1, 'footwear');
  assert.equal(c.clusters[0]!.name, 'footwear');
  const img = applyCuration(c, [0, 1, 2, 3, 4, 1]);
  assert.deepEqual(
    img.map((i) => [i.group, i.name, i.junk]),
    [
      [0, 'footwear', false],
      [0, 'footwear', false],
      [2, 'bags', false],
      [3, 'cluster-3', true],
      [4, 'cluster-4', false],
      [2, 'bags', false],
    ],
  );
  assert.throws(() => renameCluster(c, 0, 'a\nb'), CurationError);
  // Clearing a name and the junk mark removes the entry.
  c = markJunk(c, 3, false);
  assert.equal(c.clusters[3], undefined);
});

test('rebase: a re-clustered checkpoint (ids permuted, one image changed) keeps names, merges, junk and moves', () => {
  const from = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3];
  const to = [5, 5, 5, 7, 7, 6, 6, 6, 6, 4]; // 0->5, 1->7, 2->6, 3->4
  let c = emptyCuration(0);
  c = renameCluster(c, 0, 'zero');
  c = mergeClusters(c, [1], 2);
  c = renameCluster(c, 2, 'two');
  c = markJunk(c, 3, true);
  c = moveImage(c, 0, 2);
  const r = rebaseCuration(c, from, to, 4);
  assert.equal(r.epoch, 4);
  assert.deepEqual(r.clusters, { 5: { name: 'zero' }, 7: { mergedInto: 6 }, 6: { name: 'two' }, 4: { junk: true } });
  assert.deepEqual(r.moves, { 0: 6 });
  assert.deepEqual(
    applyCuration(r, to).map((i) => i.name),
    ['two', 'zero', 'zero', 'two', 'two', 'two', 'two', 'two', 'two', 'cluster-4'],
  );
});

test('folder names: separators and reserved characters replaced, never empty or a dot name', () => {
  assert.equal(folderName('T-shirt/top'), 'T-shirt_top');
  assert.equal(folderName('..'), '_');
  assert.equal(folderName('a:b?'), 'a_b_');
});

// ---- a run folder of the bundled sample (IDX: no file per image), 300 images, 6 clusters
const root = mkdtempSync(join(tmpdir(), 'dc-curate-'));
const run = join(root, 'run');
let labels: Int32Array;
const N = 300;
const assignments = Int32Array.from({ length: N }, (_, i) => i % 6);

before(async () => {
  const ds = await openDataset({ path: bundledSamplePath(), inputSize: 28, limit: N, cacheDir: join(root, 'cache') });
  labels = ds.labels!;
  const ckpt = join(run, 'checkpoints', 'epoch-0000');
  mkdirSync(ckpt, { recursive: true });
  writeFileSync(join(ckpt, 'assignments.i32'), Buffer.from(assignments.buffer));
  writeFileSync(join(ckpt, 'model.json'), '{}');
  writeFileSync(
    join(ckpt, 'checkpoint.json'),
    JSON.stringify({ version: 1, epoch: 0, created: '', arch: 'resnet', k: 6, images: N, files: listedFiles(ckpt) }),
  );
  writeFileSync(join(run, 'images.txt'), formatImageNames(Array.from({ length: N }, (_, i) => ds.itemName(i))));
  const manifest = {
    version: 1,
    id: 'r',
    created: '',
    updated: '',
    status: 'finished',
    epochsDone: 1,
    versions: {},
    dataset: ds.info,
    config: { data: bundledSamplePath(), inputSize: 28, limit: N, cacheDir: join(root, 'cache') },
  } as unknown as RunManifest;
  writeFileSync(join(run, 'run.json'), JSON.stringify(manifest));
  await ds.close();
});

test('export round trip: rename + merge + junk + move, then CSV and a labelled ImageFolder the loader reads as classes', async () => {
  let c = emptyCuration(0);
  c = renameCluster(c, 0, 'alpha');
  c = renameCluster(c, 1, 'beta/gamma');
  c = mergeClusters(c, [2], 1);
  c = markJunk(c, 5, true);
  c = moveImage(c, 0, 4); // image 0 leaves "alpha" for cluster 4
  writeCuration(run, c);
  assert.deepEqual(readCuration(run), c);
  const { rows, junk } = curatedRows(run);
  assert.equal(junk, N / 6);
  const csvFile = join(root, 'curated.csv');
  const r1 = await runCli(['export', run, '--format', 'csv', '--out', csvFile]);
  assert.equal(r1.code, 0, r1.stderr);
  const lines = readFileSync(csvFile, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'index,path,cluster,label');
  assert.equal(lines.length, rows.length + 1);
  const byIndex = new Map(lines.slice(1).map((l) => [Number(l.split(',')[0]), l.split(',').at(-1)!]));
  assert.equal(byIndex.get(0), 'cluster-4');
  assert.equal(byIndex.get(6), 'alpha');
  assert.equal(byIndex.get(2), 'beta/gamma');
  assert.equal(byIndex.get(5), undefined, 'junk is left out');

  const out = join(root, 'exported');
  const r2 = await runCli(['export', run, '--out', out, '--mode', 'symlink', '--json']);
  assert.equal(r2.code, 0, r2.stderr);
  const res = JSON.parse(r2.stdout.trim().split('\n').at(-1)!);
  assert.deepEqual(
    { type: res.type, command: res.command, images: res.images, classes: res.classes },
    { type: 'result', command: 'export', images: N - N / 6, classes: 4 },
  );
  assert.deepEqual(readdirSync(out).sort(), ['alpha', 'beta_gamma', 'cluster-3', 'cluster-4']);
  // IDX images have no file to link to: they are PNG files of their own.
  const f = readdirSync(join(out, 'alpha'))[0]!;
  assert.match(f, /^\d+\.png$/);
  assert.ok(lstatSync(join(out, 'alpha', f)).isFile());
  // The loader `train --data` uses: four classes named after the curated names, each image labelled by its folder.
  const ds = await openDataset({ path: out, inputSize: 28, cacheDir: join(root, 'cache2') });
  assert.equal(ds.size, N - N / 6);
  assert.equal(ds.info.labelled, true);
  assert.deepEqual(ds.classNames, ['alpha', 'beta_gamma', 'cluster-3', 'cluster-4']);
  for (let i = 0; i < ds.size; i++) {
    const name = ds.itemName(i);
    const index = Number(/(\d+)\.png$/.exec(name)![1]);
    assert.equal(ds.classNames![ds.labels![i]!], name.split('/').at(-2));
    assert.equal(name.split('/').at(-2), folderName(byIndex.get(index)!));
  }
  // The pixels are the sample's own: image 6 (alpha) decodes to what the IDX file holds.
  const src = await openDataset({ path: bundledSamplePath(), inputSize: 28, limit: N, cacheDir: join(root, 'cache') });
  const at = Array.from({ length: ds.size }, (_, i) => i).find((i) => ds.itemName(i).endsWith('/6.png'))!;
  assert.deepEqual(await ds.readBatch([at]), await src.readBatch([6]));
  assert.equal(labels.length, N);
  await ds.close();
  await src.close();
  // Bad input: one line naming the flag or the file.
  const again = await runCli(['export', run, '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr.trim(), /^deepcluster: --out .*exported exists and is not empty$/);
  const noOut = await runCli(['export', run]);
  assert.match(noOut.stderr.trim(), /needs --out/);
  writeFileSync(join(run, 'curation.json'), '{"version": 1, "epoch": 0, "clusters": {"x": {}}, "moves": {}}');
  const bad = await runCli(['export', run, '--format', 'csv', '--out', join(root, 'x.csv')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /curation\.json: cluster entry 'x' is not a cluster id/);
});
