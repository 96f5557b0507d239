import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { inspect, inspectPath, type CheckpointReport, type RunReport } from '../../../src/trainer/cli/inspect';
import { clusterSizeSummary as clusterSizes } from '../../../src/trainer/metrics/clusterSizes';
import { saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { EventLog } from '../../../src/runfolder/events';
import { createRunDir, newRunManifest, updateRunManifest } from '../../../src/runfolder/manifest';
import { writeSkipped } from '../../../src/runfolder/skipped';
import { fakeConfig, fakeDataset, fakeMetrics, fakeState, tempDir } from '../run/fixture';

/** A run killed during epoch 2: epochs 0 and 1 logged and checkpointed, a half checkpoint 2, a torn event. */
async function makeRun(): Promise<string> {
  const dir = path.join(await tempDir('dc-inspect-'), 'run-a');
  await createRunDir(
    dir,
    newRunManifest({
      config: fakeConfig(dir),
      dataset: fakeDataset(),
      engine: { backend: 'cpu', device: 'CPU, 2 threads', provider: 'cpu', software: true, skipped: [] },
    }),
  );
  await writeSkipped(dir, [{ path: '/data/fake/broken.png', reason: 'zero bytes' }]);
  const log = EventLog.open(dir);
  log.emit({
    type: 'start',
    runDir: dir,
    epochs: 2,
    startEpoch: 0,
    engine: { backend: 'cpu', device: 'CPU', provider: 'cpu', software: true, skipped: [] },
    images: 12,
  });
  for (const e of [0, 1]) {
    log.emit({ type: 'epoch', metrics: fakeMetrics(e) });
    const ref = await saveCheckpoint(dir, fakeState(e));
    log.emit({ type: 'checkpoint', epoch: e, path: ref.dir });
    await updateRunManifest(dir, { epochsDone: e + 1 });
  }
  log.emit({ type: 'warning', message: 'slow epoch' });
  log.close();
  await fs.appendFile(path.join(dir, 'events.jsonl'), '{"type":"phase","t":"x","epo');
  await fs.mkdir(path.join(dir, 'checkpoints', 'epoch-0002'));
  await fs.writeFile(path.join(dir, 'checkpoints', 'epoch-0002', 'weights.bin'), new Uint8Array(100));
  return dir;
}

test('inspect RUN --json: status, epochs from events, checkpoints, cluster sizes', async () => {
  const dir = await makeRun();
  const r = JSON.parse(await inspect(dir, { json: true })) as RunReport;
  assert.equal(r.kind, 'run');
  assert.equal(r.status, 'interrupted', 'running in run.json but no trainer pid');
  assert.equal(r.manifest.epochsDone, 2);
  assert.deepEqual(
    r.epochs.map((m) => m.epoch),
    [0, 1],
  );
  assert.equal(r.epochs[1]!.nmiLabels, 0.5);
  assert.deepEqual(
    { count: r.events.count, torn: r.events.torn, warnings: r.events.warnings },
    { count: 6, torn: true, warnings: 1 },
  );
  assert.equal(r.skipped, 1);
  assert.deepEqual(
    r.checkpoints.map((c) => [c.name, c.complete]),
    [
      ['epoch-0002', false],
      ['epoch-0001', true],
      ['epoch-0000', true],
    ],
  );
  assert.equal(r.checkpoints[0]!.problem, 'checkpoint.json is missing');
  assert.equal(r.checkpoints[0]!.bytes, 100);
  assert.equal(r.resumeFrom, 'epoch-0001');
  assert.equal(r.latest, 'epoch-0001');
  const ck = r.latestCheckpoint!;
  assert.deepEqual(ck.clusterSizes, { k: 3, images: 12, empty: 0, smallest: 3, largest: 5, median: 4 });
  assert.deepEqual([ck.weights!.tensors, ck.weights!.params], [4, 46]);
  assert.equal(ck.optimizer!.tensors, 1);
});

test('inspect RUN: human summary with a metrics table', async () => {
  const dir = await makeRun();
  const text = await inspect(dir);
  assert.match(text, /^Run run-a {2}/);
  assert.match(text, /status\s+interrupted/);
  assert.match(text, /epochs\s+2 of 2 done/);
  assert.match(
    text,
    /config\s+recipe paper: smallvgg 28px, sobel on, kmeans k=3 pca=4, sampler uniform, batch 256, lr 0.05, seed 31/,
  );
  assert.match(text, /dataset\s+idx \/data\/fake: 12 images, 1 channel\(s\), labelled, 1 skipped/);
  assert.match(text, /engine\s+cpu via cpu on CPU, 2 threads \(software\)/);
  assert.match(text, /torn last line skipped/);
  assert.match(text, /epoch\s+loss\s+k-means obj\s+NMI\(t,t-1\)\s+NMI labels\s+ARI\s+acc\s+empty\s+s\/epoch/);
  assert.match(text, /\n\s+0\s+2\.000\s+10\.0\s+-\s+0\.400\s+0\.300\s+0\.500\s+0\s+1\.5\n/);
  assert.match(text, /\n\s+1\s+1\.500\s+9\.0\s+0\.610\s+0\.500\s/);
  assert.match(text, /epoch-0002\s+100 B\s+INCOMPLETE: checkpoint\.json is missing/);
  assert.match(text, /epoch-0001\s+[\d.]+ KiB\s+complete {2}<- resume from here/);
  assert.match(text, /clusters\s+k=3 over 12 images: 0 empty, smallest 3, median 4, largest 5/);
});

test('inspect CHECKPOINT: files with sizes, weights, and refusal of non-runs', async () => {
  const dir = await makeRun();
  const ck = path.join(dir, 'checkpoints', 'epoch-0000');
  const r = (await inspectPath(ck)) as CheckpointReport;
  assert.equal(r.kind, 'checkpoint');
  assert.equal(r.complete, true);
  assert.equal(r.manifest!.epoch, 0);
  const files = Object.fromEntries(r.manifest!.files.map((f) => [f.file, f.bytes]));
  assert.equal(files['weights.bin'], 184);
  assert.equal(files['assignments.i32'], 48);
  assert.equal(files['centroids.f32'], 48);
  assert.equal(
    r.totalBytes,
    r.manifest!.files.reduce((s, f) => s + f.bytes, 0),
  );
  const text = await inspect(ck);
  assert.match(text, /model\s+smallvgg 28px, 4 tensors, 46 parameters/);
  assert.match(text, /assignments\.i32\s+48 B\s+int32 \[12\]/);
  assert.match(text, /conv1\.weight\s+\[3, 3, 2, 2\]/);

  const half = (await inspectPath(path.join(dir, 'checkpoints', 'epoch-0002'))) as CheckpointReport;
  assert.deepEqual([half.complete, half.problem], [false, 'checkpoint.json is missing']);
  await assert.rejects(inspectPath(path.join(dir, 'checkpoints')), { message: /is neither a run folder/ });
  await assert.rejects(inspectPath(path.join(dir, 'nope')), { message: /does not exist$/ });
});

test('clusterSizeSummary counts empty clusters; smallest is the smallest non-empty one, as every epoch logs it', () => {
  assert.deepEqual(clusterSizes(Int32Array.from([0, 0, 3, 3, 3]), 5), {
    k: 5,
    images: 5,
    empty: 3,
    smallest: 2,
    largest: 3,
    median: 0,
  });
});
