// `cluster`: a run's model over an image folder, no training -> a finished run folder with one complete
// checkpoint whose assignments are k-means (same seed) on the features `embed` writes, in dataset order; the
// checkpoint loads back with the network's weights and no top layer; bad --k is one line before any folder is
// made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../../src/trainer/engine';
import { createModel } from '../../../src/trainer/model';
import { loadCheckpoint, saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { createRunDir, newRunManifest, readRunManifest } from '../../../src/runfolder/manifest';
import { parseImageNames } from '../../../src/runfolder/imageNames';
import { clusterWithModel, defaultK } from '../../../src/trainer/pretrained/cluster';
import { embed } from '../../../src/trainer/pretrained/embed';
import { clusterFeatures } from '../../../src/trainer/train/clusteringPhase';
import { inspectPath, type RunReport } from '../../../src/trainer/cli/inspect';
import { fakeConfig, fakeDataset, fakeState, tempDir } from '../run/fixture';

let root = '';
let modelRun = '';
const N = 24;

before(async () => {
  await initEngine('wasm');
  root = await tempDir('dc-cluster-');
  modelRun = path.join(root, 'model-run');
  await createRunDir(
    modelRun,
    newRunManifest({
      config: fakeConfig(modelRun),
      dataset: fakeDataset(),
      engine: { backend: 'wasm', device: 'CPU', provider: 'wasm', software: true, skipped: [] },
    }),
  );
  const net = createModel({ arch: 'smallvgg', inputSize: 32, inputChannels: 3, sobel: true, seed: 9 });
  net.resetTopLayer(5, 1);
  await saveCheckpoint(modelRun, {
    ...fakeState(0),
    optimizer: undefined,
    weights: net.namedWeights(),
    modelOptions: { ...net.options },
  });
  net.dispose();
  // two kinds of images (horizontal vs vertical stripes, random phase and colour) in class folders
  for (let i = 0; i < N; i++) {
    const cls = i % 2 ? 'vertical' : 'horizontal';
    await fs.mkdir(path.join(root, 'imgs', cls), { recursive: true });
    const px = Buffer.alloc(48 * 48 * 3);
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 48; x++) {
        const on = (((i % 2 ? x : y) + i) >> 2) % 2;
        for (let c = 0; c < 3; c++) px[(y * 48 + x) * 3 + c] = on ? 40 + ((i * 37 + c * 80) % 200) : 10;
      }
    await sharp(px, { raw: { width: 48, height: 48, channels: 3 } })
      .png()
      .toFile(path.join(root, 'imgs', cls, `${String(i).padStart(2, '0')}.png`));
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

test('cluster writes a finished run with one checkpoint: k-means of the embed features, same order', async () => {
  const out = path.join(root, 'clustered');
  const cacheDir = path.join(root, 'cache');
  const common = { model: modelRun, data: path.join(root, 'imgs'), batchSize: 5, cacheDir, backend: 'wasm' as const };
  const r = await clusterWithModel({ ...common, out, k: 3, pca: 6, seed: 4, json: false }, () => undefined);
  assert.deepEqual([r.images, r.k, r.pca], [N, 3, 6]);
  const manifest = await readRunManifest(out);
  assert.equal(manifest.status, 'finished');
  assert.equal(manifest.epochsDone, 1);
  assert.deepEqual(
    [manifest.config.arch, manifest.config.k, manifest.config.pca, manifest.config.inputSize, manifest.config.sobel],
    ['smallvgg', 3, 6, 32, true],
  );
  const ck = await loadCheckpoint(r.checkpoint);
  assert.equal(ck.assignments.length, N);
  assert.equal(ck.k, 3);
  assert.ok(![...ck.weights.keys()].some((n) => n.startsWith('top.')), 'the old top layer is not saved');
  assert.ok(ck.weights.has('fc7.weight'));

  // The same features through embed, clustered with the same settings: the same assignments.
  const npy = path.join(root, 'emb', 'f.npy');
  await embed({ ...common, out: npy }, () => undefined);
  const names = readFileSync(path.join(out, 'images.txt'), 'utf8');
  assert.equal(names, readFileSync(path.join(root, 'emb', 'images.txt'), 'utf8'));
  assert.equal(parseImageNames(names).length, N);
  const b = readFileSync(npy);
  const hlen = b.readUInt16LE(8);
  const feats = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length));
  const again = await clusterFeatures({ ...manifest.config }, feats, N, 512, 0);
  assert.deepEqual(Array.from(ck.assignments), Array.from(again.assignments));
  assert.ok(new Set(ck.assignments).size >= 2, 'more than one cluster used');
  tf.dispose([...ck.weights.values()]);

  const report = (await inspectPath(out)) as RunReport;
  assert.equal(report.checkpoints.length, 1);
  assert.equal(report.checkpoints[0]!.complete, true);
  assert.equal(report.epochs.length, 1);
  assert.equal(report.epochs[0]!.loss, null, 'no training: the loss is null, not a made-up number');
  assert.ok(report.epochs[0]!.nmiLabels !== undefined, 'class folders give label metrics');
});

test('cluster: --k larger than the images is one line, and no run folder is made', async () => {
  const out = path.join(root, 'never');
  await assert.rejects(
    clusterWithModel(
      {
        model: modelRun,
        data: path.join(root, 'imgs'),
        out,
        k: N + 1,
        batchSize: 8,
        cacheDir: path.join(root, 'cache'),
        backend: 'wasm',
        json: false,
      },
      () => undefined,
    ),
    /--k 25 is larger than the number of images \(24\)/,
  );
  assert.equal(existsSync(out), false);
  assert.deepEqual([defaultK(5), defaultK(240), defaultK(1e6)], [2, 24, 100]);
});
