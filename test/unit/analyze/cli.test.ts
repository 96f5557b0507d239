// `deepcluster visualize` and `deepcluster thumbs` through the real CLI (dist/trainer/cli.js: npm run build) on a
// tiny run trained here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type {
  AnalysisEvent,
  ClusterTypicalImages,
  FilterAscentResult,
  ThumbnailIndex,
  TopActivations,
} from '../../../src/protocol/analysis';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'dc-analyze-'));
const run = join(root, 'run');
const ckpt = join(run, 'checkpoints', 'epoch-0000');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}
function cliAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AnalysisEvent);
const result = <T extends AnalysisEvent['type']>(ev: AnalysisEvent[], type: T) =>
  ev.filter((e) => e.type === type) as Extract<AnalysisEvent, { type: T }>[];

before(() => {
  const r = cli(
    'train',
    '--recipe',
    'paper',
    '--limit',
    '200',
    '--epochs',
    '1',
    '--k',
    '4',
    '--pca',
    '8',
    '--input-size',
    '16',
    '--batch-size',
    '64',
    '--backend',
    'wasm',
    '--out',
    run,
    '--cache',
    join(root, 'cache'),
  );
  assert.equal(r.code, 0, r.stderr);
});

// First in the file on purpose: no earlier command has made <run>/analysis/ (the e2e grid's first request).
test('thumbs --clusters as the first analysis of a run creates analysis/<checkpoint>/', () => {
  assert.ok(!existsSync(join(run, 'analysis')));
  const r = cli('thumbs', ckpt, '--clusters', '0', '--per-cluster', '2', '--backend', 'wasm');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(run, 'analysis', 'epoch-0000', 'typical-centroid.json')));
});

test('visualize: filter PNGs + JSON and top.json with progress lines; a second call reuses them', async () => {
  const r = cli(
    'visualize',
    ckpt,
    '--layer',
    'conv2',
    '--filters',
    '0-3',
    '--iterations',
    '20',
    '--json',
    '--backend',
    'wasm',
  );
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.ok(result(ev, 'progress').some((p) => p.phase === 'top-activations' && p.done === 200 && p.total === 200));
  assert.ok(result(ev, 'progress').some((p) => p.phase === 'gradient-ascent' && p.done === 20 && p.total === 20));
  const filters = result(ev, 'filter');
  assert.deepEqual(
    filters.map((f) => [f.result.filter, f.cached]),
    [
      [0, false],
      [1, false],
      [2, false],
      [3, false],
    ],
  );
  const [res] = result(ev, 'result');
  assert.ok(res && res.command === 'visualize');
  const dir = join(run, 'analysis', 'epoch-0000', 'conv2');
  assert.equal(res.dir, dir);
  assert.deepEqual(readdirSync(dir).sort(), [
    'filter-0000.json',
    'filter-0000.png',
    'filter-0001.json',
    'filter-0001.png',
    'filter-0002.json',
    'filter-0002.png',
    'filter-0003.json',
    'filter-0003.png',
    'top.json',
  ]);
  const meta = await sharp(join(dir, 'filter-0002.png')).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [16, 16, 1]);
  const f2 = JSON.parse(readFileSync(join(dir, 'filter-0002.json'), 'utf8')) as FilterAscentResult;
  assert.equal(f2.image, 'analysis/epoch-0000/conv2/filter-0002.png');
  assert.equal(f2.params.iterations, 20);
  assert.ok(f2.activationEnd > f2.activationStart, `${f2.activationStart} -> ${f2.activationEnd}`);
  const top = JSON.parse(readFileSync(join(dir, 'top.json'), 'utf8')) as TopActivations;
  assert.deepEqual([top.layer, top.count, top.images, top.filters.length], ['conv2', 9, 200, 64]);
  assert.ok(
    top.filters.every((f) => f.indices.length === 9 && f.scores.every((s, i) => i === 0 || s <= f.scores[i - 1]!)),
  );

  const again = cli(
    'visualize',
    run,
    '--layer',
    'conv2',
    '--filters',
    '2,3',
    '--iterations',
    '20',
    '--json',
    '--backend',
    'wasm',
  );
  assert.equal(again.code, 0, again.stderr);
  const ev2 = events(again.stdout);
  assert.deepEqual(
    result(ev2, 'filter').map((f) => [f.result.filter, f.cached]),
    [
      [2, true],
      [3, true],
    ],
  );
  assert.equal(result(ev2, 'progress').length, 0, 'nothing recomputed');
});

test('visualize: two concurrent invocations on overlapping filters both finish with whole files', async () => {
  const args = ['--layer', 'conv1', '--iterations', '10', '--json', '--backend', 'wasm'];
  const [a, b] = await Promise.all([
    cliAsync('visualize', ckpt, '--filters', '0-5', ...args),
    cliAsync('visualize', ckpt, '--filters', '3-8', ...args),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const dir = join(run, 'analysis', 'epoch-0000', 'conv1');
  const files = readdirSync(dir);
  assert.equal(files.filter((f) => f.startsWith('.')).length, 0, `temp files left: ${files}`);
  for (let f = 0; f <= 8; f++) {
    const stem = `filter-${String(f).padStart(4, '0')}`;
    assert.equal(JSON.parse(readFileSync(join(dir, `${stem}.json`), 'utf8')).filter, f);
    assert.equal((await sharp(join(dir, `${stem}.png`)).metadata()).width, 16);
  }
});

test('thumbs: --clusters by activation and by centroid, --indices; files decode', async () => {
  const r = cli(
    'thumbs',
    ckpt,
    '--clusters',
    '0-3',
    '--per-cluster',
    '4',
    '--by',
    'activation',
    '--size',
    '32',
    '--json',
    '--backend',
    'wasm',
  );
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.ok(result(ev, 'progress').some((p) => p.phase === 'top-layer' && p.done === 200));
  const res = result(ev, 'result')[0]!;
  assert.ok(res.command === 'thumbs');
  const typical = res.index as ClusterTypicalImages;
  assert.equal(typical.by, 'activation');
  assert.equal(typical.clusters.length, 4);
  assert.equal(
    typical.clusters.reduce((s, c) => s + c.members, 0),
    200,
  );
  for (const c of typical.clusters) {
    assert.equal(c.items.length, 4);
    assert.ok(
      c.items.every((it, i) => i === 0 || it.score <= c.items[i - 1]!.score),
      'highest logit first',
    );
    for (const it of c.items) assert.equal((await sharp(join(run, it.thumb)).metadata()).width, 32);
  }
  assert.ok(existsSync(join(run, 'analysis', 'epoch-0000', 'typical-activation.json')));

  const byCentroid = cli('thumbs', ckpt, '--clusters', '1', '--per-cluster', '3', '--json', '--backend', 'wasm');
  assert.equal(byCentroid.code, 0, byCentroid.stderr);
  const res1 = result(events(byCentroid.stdout), 'result')[0]!;
  assert.ok(res1.command === 'thumbs');
  const c1 = (res1.index as ClusterTypicalImages).clusters[0]!;
  assert.equal(c1.cluster, 1);
  assert.ok(
    c1.items.length > 0 && c1.items.every((it) => it.cluster === 1 && it.thumb === `thumbs/s64/${it.index}.png`),
    'centroid exemplars are members',
  );

  const idx = cli('thumbs', run, '--indices', '0,5,199', '--backend', 'wasm');
  assert.equal(idx.code, 0, idx.stderr);
  const index = JSON.parse(idx.stdout.trim().split('\n').pop()!) as ThumbnailIndex;
  assert.deepEqual(
    index.thumbs.map((t) => t.thumb),
    ['thumbs/s64/0.png', 'thumbs/s64/5.png', 'thumbs/s64/199.png'],
  );
  assert.equal((await sharp(join(run, 'thumbs/s64/199.png')).metadata()).height, 64);
});

test('bad requests are one-line errors with exit status 2', () => {
  const layer = cli('visualize', ckpt, '--layer', 'conv9', '--backend', 'wasm');
  assert.equal(layer.code, 2);
  assert.match(layer.stderr, /^deepcluster: --layer conv9: smallvgg has conv1, conv2, conv3, conv4, conv5$/);
  const filter = cli('visualize', ckpt, '--layer', 'conv1', '--filters', '70', '--backend', 'wasm');
  assert.match(filter.stderr, /^deepcluster: --filters: conv1 has 64 filters \(0-63\), got 70$/);
  const cluster = cli('thumbs', ckpt, '--clusters', '4', '--backend', 'wasm');
  assert.match(cluster.stderr, /^deepcluster: --clusters: epoch-0000 has 4 clusters \(0-3\), got 4$/);
  const index = cli('thumbs', ckpt, '--indices', '200', '--backend', 'wasm');
  assert.match(index.stderr, /^deepcluster: image index 200 is out of range/);
  const neither = cli('thumbs', ckpt);
  assert.match(neither.stderr, /needs either --indices or --clusters/);
  const notRun = cli('visualize', root, '--layer', 'conv1');
  assert.match(notRun.stderr, /is neither a checkpoint folder/);
  assert.equal(notRun.code, 2);
});
