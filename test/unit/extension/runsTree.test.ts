import './stub/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunsTreeProvider } from '../../../src/extension/runsTree';
import { blockedReason } from '../../../src/extension/trust';
import { trainArgs, PRESETS } from '../../../src/extension/presets';
import { applyEvent, emptyProgress } from '../../../src/extension/trainerEvents';
import { listedFiles } from '../../webview/fixture';
import { tempDir } from './helpers';
import { emptyCuration, markJunk, mergeClusters, renameCluster, writeCuration } from '../../../src/runfolder/curation';

function fixtureRun(root: string): string {
  const dir = join(root, 'fmnist-1');
  const ck = join(dir, 'checkpoints', 'epoch-0001');
  mkdirSync(ck, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      version: 1,
      id: 'fmnist-1',
      status: 'stopped',
      epochsDone: 2,
      config: { epochs: 5, arch: 'smallvgg', k: 2, batchSize: 8 },
    }),
  );
  const a = Buffer.alloc(12);
  [1, 1, 0].forEach((c, i) => a.writeInt32LE(c, i * 4));
  writeFileSync(join(ck, 'assignments.i32'), a);
  writeFileSync(
    join(ck, 'label-histograms.json'),
    JSON.stringify({
      classNames: ['shirt', 'shoe'],
      counts: [
        [1, 0],
        [0, 2],
      ],
    }),
  );
  writeFileSync(join(ck, 'model.json'), '{}');
  writeFileSync(
    join(ck, 'checkpoint.json'),
    JSON.stringify({ version: 1, epoch: 1, created: 'x', arch: 'smallvgg', k: 2, images: 3, files: listedFiles(ck) }),
  );
  return dir;
}

test('tree: run -> checkpoint -> clusters (largest first, top label, purity) -> members, with menus and icons', (t) => {
  const root = tempDir(t);
  const dir = fixtureRun(root);
  const tree = new RunsTreeProvider(
    () => [root],
    () => [],
    () => undefined,
  );
  const [run] = tree.getChildren();
  const runItem = tree.getTreeItem(run!);
  assert.equal(runItem.label, 'fmnist-1');
  assert.equal(runItem.description, 'stopped · 2/5 epochs');
  assert.equal(runItem.contextValue, 'run.resumable');
  assert.equal((runItem.iconPath as { id: string }).id, 'debug-pause');
  const [ckpt] = tree.getChildren(run);
  const ckItem = tree.getTreeItem(ckpt!);
  assert.equal(ckItem.label, 'epoch 1');
  assert.equal(ckItem.command?.command, 'deepcluster.openCheckpoint');
  assert.equal(ckItem.command?.arguments?.[0], join(dir, 'checkpoints', 'epoch-0001', 'checkpoint.json'));
  const clusters = tree.getChildren(ckpt).map((n) => tree.getTreeItem(n));
  assert.deepEqual(
    clusters.map((c) => [c.label, c.description]),
    [
      ['cluster 1 · shoe', '2 images · purity 100%'],
      ['cluster 0 · shirt', '1 images · purity 100%'],
    ],
  );
  const members = tree.getChildren(tree.getChildren(ckpt)[0]).map((n) => tree.getTreeItem(n).label);
  assert.deepEqual(members, ['image 0', 'image 1']);
  // The user's curation (curation.json) names the clusters: a name, a junk mark, a merge.
  writeCuration(dir, mergeClusters(markJunk(renameCluster(emptyCuration(1), 1, 'sneakers'), 1, true), [0], 1));
  const curated = tree.getChildren(ckpt).map((n) => tree.getTreeItem(n));
  assert.deepEqual(
    curated.map((c) => [c.label, c.description]),
    [
      ['cluster 1 “sneakers” · shoe', 'junk · 2 images · purity 100%'],
      ['cluster 0 “sneakers” · shirt', 'junk · → cluster 1 · 1 images · purity 100%'],
    ],
  );
  // A broken curation.json leaves the tree as it was.
  writeFileSync(join(dir, 'curation.json'), '{');
  assert.deepEqual(
    tree.getChildren(ckpt).map((n) => tree.getTreeItem(n).label),
    ['cluster 1 · shoe', 'cluster 0 · shirt'],
  );
});

test('tree: a live run shows its progress and a Stop menu', (t) => {
  const root = tempDir(t);
  const dir = fixtureRun(root);
  let p = applyEvent(emptyProgress(), {
    type: 'start',
    t: '2026-01-01T00:00:00Z',
    runDir: dir,
    epochs: 5,
    startEpoch: 2,
    images: 3,
    engine: { backend: 'cpu', device: 'x', provider: 'cpu', software: true, skipped: [] },
  });
  p = applyEvent(p, { type: 'phase', t: '2026-01-01T00:00:01Z', epoch: 2, phase: 'features' });
  const tree = new RunsTreeProvider(
    () => [root],
    () => [],
    (d) => (d === dir ? p : undefined),
  );
  const item = tree.getTreeItem(tree.getChildren()[0]!);
  assert.equal(item.contextValue, 'run.running');
  assert.equal(item.description, 'epoch 3/5 · features');
});

test('trust gating: training commands are blocked in Restricted Mode, browsing is not', () => {
  assert.match(blockedReason('deepcluster.train', false)!, /Restricted Mode/);
  assert.ok(blockedReason('deepcluster.resume', false));
  assert.ok(blockedReason('deepcluster.setupGpu', false));
  assert.equal(blockedReason('deepcluster.train', true), undefined);
  assert.equal(blockedReason('deepcluster.openRun', false), undefined);
  assert.equal(blockedReason('deepcluster.exportAssignments', false), undefined);
});

test("presets become the CLI contract's flags", () => {
  const base = {
    out: '/r/x',
    recipe: 'v2' as const,
    k: 10,
    epochs: 20,
    batchSize: 64,
    backend: 'auto' as const,
    cacheDir: '/c',
  };
  const quick = PRESETS.find((p) => p.id === 'quick')!.apply(base);
  assert.deepEqual(trainArgs(quick), [
    'train',
    '--out',
    '/r/x',
    '--recipe',
    'v2',
    '--backend',
    'auto',
    '--epochs',
    '3',
    '--k',
    '10',
    '--batch-size',
    '64',
    '--limit',
    '3000',
    '--cache',
    '/c',
  ]);
  // Unset epochs / k / batch size / architecture are left to the trainer (chosen from the dataset's size).
  const auto = PRESETS.find((p) => p.id === 'standard')!.apply({ out: '/r/y', recipe: 'v2', backend: 'auto' });
  assert.deepEqual(trainArgs(auto), ['train', '--out', '/r/y', '--recipe', 'v2', '--backend', 'auto']);
  const paper = PRESETS.find((p) => p.id === 'paper')!.apply({ ...base, data: '/d' });
  assert.deepEqual(trainArgs(paper).slice(0, 3), ['train', '--data', '/d']);
  for (const flag of ['--sobel', 'paper', 'smallvgg']) assert.ok(trainArgs(paper).includes(flag), flag);
});

test('member rows name their image file (images.txt) and open it; IDX members stay numbered', async () => {
  const { memberSpec } = await import('../../../src/extension/treeModel');
  const ckpt = {
    name: 'epoch-0001',
    epoch: 1,
    dir: '/r/checkpoints/epoch-0001',
    manifestPath: '/r/checkpoints/epoch-0001/checkpoint.json',
  };
  const cluster = { index: 2, size: 5, members: [] } as never;
  const file = memberSpec(ckpt as never, cluster, { index: 7, distance: 0.25 }, '/data/cats/tom.png');
  assert.equal(file.label, 'tom.png');
  assert.equal(file.description, 'distance 0.250');
  assert.deepEqual(file.command, { id: 'deepcluster.openImage', args: ['/data/cats/tom.png'] });
  const idx = memberSpec(ckpt as never, cluster, { index: 7 }, '/data/t10k-images-idx3-ubyte.gz#7');
  assert.equal(idx.label, 'image 7');
  assert.equal(idx.command, undefined);
});
