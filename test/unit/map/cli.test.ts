// `deepcluster map` through the real CLI (dist/trainer/cli.js: npm run build) on a tiny run trained here, and the
// vscode-free reader of the cached file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisEvent } from '../../../src/protocol/analysis';
import { EmbeddingMapError, embeddingMapPath, readEmbeddingMap } from '../../../src/runfolder/embeddingMap';
import { runCli } from '../cliRunner';

const root = mkdtempSync(join(tmpdir(), 'dc-map-'));
const run = join(root, 'run');
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AnalysisEvent);

before(async () => {
  const r = await runCli([
    'train',
    '--recipe',
    'paper',
    '--limit',
    '300',
    '--epochs',
    '1',
    '--k',
    '5',
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
  ]);
  assert.equal(r.code, 0, r.stderr);
});

test('map: progress events, one result, a cached file with every image, its cluster and label', async () => {
  const r = await runCli(['map', run, '--json', '--backend', 'wasm', '--epochs', '50']);
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  assert.ok(ev.some((e) => e.type === 'progress' && e.phase === 'features'));
  assert.ok(ev.some((e) => e.type === 'progress' && e.phase === 'layout'));
  const last = ev.at(-1)!;
  assert.ok(last.type === 'result' && last.command === 'map' && !last.cached && last.images === 300);
  const m = readEmbeddingMap(run, 0, 'umap')!;
  assert.equal(m.images, 300);
  assert.equal(m.x.length, 300);
  assert.equal(m.labels!.length, 300);
  const buf = readFileSync(join(run, 'checkpoints', 'epoch-0000', 'assignments.i32'));
  const assignments = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  assert.deepEqual(m.clusters, Array.from(assignments));
  assert.ok(m.x.every((v) => v >= -1 && v <= 1));
  // A second call answers from the cache.
  const again = await runCli(['map', run, '--json', '--backend', 'wasm']);
  const res = events(again.stdout).at(-1)!;
  assert.ok(res.type === 'result' && res.command === 'map' && res.cached);
});

test('map: bad flags and a bad cached file are one line naming the flag or the file', async () => {
  const bad = await runCli(['map', run, '--method', 'tsne']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^deepcluster: --method: unknown method 'tsne'; valid: umap, pca$/);
  const none = await runCli(['map', join(root, 'nowhere')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nowhere is neither a checkpoint folder/);
  const file = embeddingMapPath(run, 0, 'umap');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, text.length / 2));
  assert.throws(
    () => readEmbeddingMap(run, 0, 'umap'),
    (e: Error) => e instanceof EmbeddingMapError && e.message.includes(file) && !e.message.includes('\n'),
  );
  const cut = await runCli(['map', run, '--backend', 'wasm']);
  assert.equal(cut.code, 2);
  assert.match(cut.stderr.trim(), /epoch-0000-umap\.json is not valid JSON/);
  const obj = JSON.parse(text);
  obj.x = obj.x.slice(1);
  writeFileSync(file, JSON.stringify(obj));
  assert.throws(() => readEmbeddingMap(run, 0, 'umap'), /x must hold 300 numbers/);
  assert.equal(readEmbeddingMap(run, 0, 'pca'), undefined);
});
