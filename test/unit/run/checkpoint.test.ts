import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import {
  CheckpointError,
  latestCompleteCheckpoint,
  listCheckpointFolders,
  readLatestName,
  verifyCheckpoint,
} from '../../../src/runfolder/checkpoints';
import { loadCheckpoint, saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { fakeState, tempDir } from './fixture';

test('save then load gives back every part, in the TF.js weights format', async () => {
  const run = await tempDir();
  const state = fakeState(3);
  const ref = await saveCheckpoint(run, state);
  assert.equal(ref.name, 'epoch-0003');
  assert.equal(await readLatestName(run), 'epoch-0003');
  assert.deepEqual(await fs.readdir(path.join(run, 'checkpoints')), ['epoch-0003'], 'no temp folder left');

  const model = JSON.parse(await fs.readFile(path.join(ref.dir, 'model.json'), 'utf8'));
  assert.deepEqual(model.modelTopology.arch, 'smallvgg');
  assert.deepEqual(model.weightsManifest[0].paths, ['weights.bin']);
  assert.deepEqual(
    model.weightsManifest[0].weights.map((w: { name: string }) => w.name),
    ['conv1.weight', 'conv1.bias', 'bn1.runningMean', 'top.weight'],
  );
  // 36 + 2 + 2 + 6 float32 values
  assert.equal((await fs.stat(path.join(ref.dir, 'weights.bin'))).size, 46 * 4);

  const back = await loadCheckpoint(ref.dir);
  assert.equal(back.epoch, 3);
  assert.equal(back.k, 3);
  assert.equal(back.manifest.images, 12);
  assert.deepEqual([...back.weights.keys()], [...state.weights.keys()]);
  for (const [name, t] of state.weights) {
    assert.deepEqual(back.weights.get(name)!.shape, t.shape, name);
    assert.deepEqual(Array.from(back.weights.get(name)!.dataSync()), Array.from(t.dataSync()), name);
  }
  assert.deepEqual(back.optimizer!.config, { lr: 0.05, iterations: 28 });
  assert.deepEqual(back.optimizer!.state.get('conv1.weight/momentum')!.shape, [3, 3, 2, 2]);
  assert.ok(back.assignments instanceof Int32Array);
  assert.deepEqual(Array.from(back.assignments), Array.from(state.assignments));
  assert.deepEqual(back.centroids!.shape, [3, 4]);
  assert.equal(back.centroids!.data[11], 11);
  assert.deepEqual(back.pca!.matrix.shape, [4, 8]);
  assert.equal(back.pca!.mean.data[7], 8);
  assert.deepEqual(back.exemplars, state.exemplars);
  assert.deepEqual(back.labelHistograms, state.labelHistograms);
  assert.deepEqual(back.rng, state.rng);
  assert.equal(back.metrics.nmiLabels, state.metrics.nmiLabels);
  assert.equal(back.modelOptions.inputSize, 28);
});

test('a half-written checkpoint is refused, and the newest complete one is used instead', async () => {
  const run = await tempDir();
  await saveCheckpoint(run, fakeState(0));
  const one = await saveCheckpoint(run, fakeState(1));
  // A truncated weights file in the newest checkpoint, as a crash during copying would leave it.
  await fs.truncate(path.join(one.dir, 'weights.bin'), 10);
  await assert.rejects(loadCheckpoint(one.dir), (err: Error) => {
    assert.ok(err instanceof CheckpointError);
    assert.match(err.message, /checkpoint .*epoch-0001 is incomplete \(weights\.bin has 10 bytes, expected 184\)/);
    return true;
  });
  const fallback = await latestCompleteCheckpoint(run);
  assert.equal(fallback!.name, 'epoch-0000');
  assert.equal(fallback!.fellBack, true);
  assert.equal((await loadCheckpoint(fallback!.dir)).epoch, 0);

  // No checkpoint.json at all.
  await fs.rm(path.join(one.dir, 'checkpoint.json'));
  assert.deepEqual(await verifyCheckpoint(one.dir), { complete: false, reason: 'checkpoint.json is missing' });
  // `latest` gone: still found by scanning.
  await fs.rm(path.join(run, 'latest'));
  assert.equal((await latestCompleteCheckpoint(run))!.name, 'epoch-0000');
});

test('a save killed before its rename leaves the previous checkpoint as latest; dead temp folders are cleaned', async () => {
  const run = await tempDir();
  await saveCheckpoint(run, fakeState(0));
  await assert.rejects(
    saveCheckpoint(run, fakeState(1), {
      beforeRename: () => {
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      },
    }),
    { name: 'RunWriteError', message: `disk full while writing ${path.join(run, 'checkpoints', 'epoch-0001')}` },
  );
  assert.equal(await readLatestName(run), 'epoch-0000');
  assert.deepEqual(await fs.readdir(path.join(run, 'checkpoints')), ['epoch-0000']);

  // What SIGKILL leaves: a temp folder of a process that is gone. It is ignored, and cleaned on request.
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const leftover = path.join(run, 'checkpoints', `.tmp-epoch-0001-${gone}`);
  await fs.mkdir(leftover);
  await fs.writeFile(path.join(leftover, 'weights.bin'), 'half');
  assert.equal((await latestCompleteCheckpoint(run))!.name, 'epoch-0000');
  assert.equal((await latestCompleteCheckpoint(run))!.fellBack, false);
  assert.ok(
    (await fs.readdir(path.join(run, 'checkpoints'))).includes(`.tmp-epoch-0001-${gone}`),
    'readers do not clean',
  );
  await latestCompleteCheckpoint(run, { clean: true });
  assert.deepEqual(await fs.readdir(path.join(run, 'checkpoints')), ['epoch-0000']);
});

test('saving an epoch again replaces its folder; keep prunes older checkpoints', async () => {
  const run = await tempDir();
  await saveCheckpoint(run, fakeState(0));
  const again = fakeState(0);
  again.metrics.loss = 42;
  await saveCheckpoint(run, again);
  assert.equal((await loadCheckpoint(path.join(run, 'checkpoints', 'epoch-0000'))).metrics.loss, 42);
  assert.deepEqual(await fs.readdir(path.join(run, 'checkpoints')), ['epoch-0000']);

  for (let e = 1; e <= 4; e++) await saveCheckpoint(run, fakeState(e), { keep: e === 4 ? 2 : undefined });
  assert.deepEqual(
    listCheckpointFolders(run)
      .reverse()
      .map((c) => c.name),
    ['epoch-0004', 'epoch-0003'],
  );
});

test('a checkpoint of another format version is refused', async () => {
  const run = await tempDir();
  const ref = await saveCheckpoint(run, fakeState(0));
  const file = path.join(ref.dir, 'checkpoint.json');
  const m = JSON.parse(await fs.readFile(file, 'utf8'));
  await fs.writeFile(file, JSON.stringify({ ...m, version: 2 }));
  await assert.rejects(loadCheckpoint(ref.dir), /has format version 2; this trainer reads version 1$/);
});
