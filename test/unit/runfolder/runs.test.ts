import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { listCheckpoints } from '../../../src/runfolder/checkpoints';
import { epochMetrics, readEvents } from '../../../src/runfolder/events';
import { listRuns, readRun } from '../../../src/runfolder/runs';
import { readCheckpoint, labelStats } from '../../../src/extension/checkpointData';
import { tempDir } from '../extension/helpers';

function makeRun(
  root: string,
  name: string,
  status: string,
  opts: { pid?: number; ckpts?: number[]; epochs?: number } = {},
): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      version: 1,
      id: name,
      status,
      epochsDone: opts.ckpts?.length ?? 0,
      config: { epochs: opts.epochs ?? 10, k: 3 },
    }),
  );
  if (opts.pid) writeFileSync(join(dir, 'trainer.pid'), `${opts.pid}\n`);
  for (const e of opts.ckpts ?? []) {
    const c = join(dir, 'checkpoints', `epoch-${String(e).padStart(4, '0')}`);
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'model.json'), '{}');
    writeFileSync(
      join(c, 'checkpoint.json'),
      JSON.stringify({ version: 1, epoch: e, files: [{ role: 'model', file: 'model.json', bytes: 2 }] }),
    );
  }
  return dir;
}

test('listRuns finds runs, newest first, and derives running / interrupted from the pid file', (t) => {
  const root = tempDir(t);
  const a = makeRun(root, 'a-finished', 'finished', { ckpts: [0, 1, 2], epochs: 3 });
  const b = makeRun(root, 'b-live', 'running', { pid: 4242, ckpts: [0] });
  makeRun(root, 'c-dead', 'running', { pid: 4343 });
  mkdirSync(join(root, 'not-a-run'));
  writeFileSync(join(root, 'stray.txt'), 'x');
  utimesSync(a, new Date(1000), new Date(1000));
  utimesSync(b, new Date(3000), new Date(3000));
  utimesSync(join(root, 'c-dead'), new Date(2000), new Date(2000));
  const alive = (pid: number) => pid === 4242;
  const runs = listRuns(root, alive);
  assert.deepEqual(
    runs.map((r) => r.id),
    ['b-live', 'c-dead', 'a-finished'],
  );
  assert.deepEqual(
    runs.map((r) => r.state),
    ['running', 'interrupted', 'finished'],
  );
  assert.equal(runs[0]!.pid, 4242);
  assert.equal(runs[1]!.pid, undefined);
  assert.equal(runs[2]!.epochsDone, 3);
  assert.equal(runs[2]!.epochsTotal, 3);
  assert.deepEqual(listRuns(join(root, 'missing')), []);
});

test('listCheckpoints skips a checkpoint still being written or torn, and sorts by epoch', (t) => {
  const root = tempDir(t);
  const dir = makeRun(root, 'r', 'stopped', { ckpts: [10, 2] });
  mkdirSync(join(dir, 'checkpoints', 'epoch-0011')); // no checkpoint.json yet
  mkdirSync(join(dir, 'checkpoints', 'epoch-0012.tmp'));
  const torn = join(dir, 'checkpoints', 'epoch-0013');
  mkdirSync(torn);
  writeFileSync(
    join(torn, 'checkpoint.json'),
    JSON.stringify({ version: 1, epoch: 13, files: [{ role: 'model', file: 'model.json', bytes: 99 }] }),
  );
  writeFileSync(join(torn, 'model.json'), '{}');
  assert.deepEqual(
    listCheckpoints(dir).map((c) => c.epoch),
    [2, 10],
  );
  assert.equal(readRun(dir).state, 'stopped');
});

test('events.jsonl with a torn last line still yields the epochs, last value per epoch wins', (t) => {
  const dir = tempDir(t);
  const ev = (epoch: number, loss: number) =>
    JSON.stringify({
      type: 'epoch',
      t: 'x',
      metrics: { epoch, loss, clusters: { k: 1, empty: 0, largest: 1, smallest: 1 }, seconds: { epoch: 1 } },
    });
  writeFileSync(join(dir, 'events.jsonl'), [ev(0, 3), ev(1, 2.5), ev(1, 2.4), '{"type":"epo'].join('\n'));
  const m = epochMetrics(readEvents(dir).events);
  assert.deepEqual(
    m.map((x) => [x.epoch, x.loss]),
    [
      [0, 3],
      [1, 2.4],
    ],
  );
});

test('readCheckpoint reads the listed files: assignments, exemplars, label histograms, weights', (t) => {
  const dir = join(tempDir(t), 'epoch-0004');
  mkdirSync(dir);
  const a = Buffer.alloc(5 * 4);
  [0, 0, 1, 0, 1].forEach((c, i) => a.writeInt32LE(c, i * 4));
  writeFileSync(join(dir, 'assignments.i32'), a);
  writeFileSync(
    join(dir, 'label-histograms.json'),
    JSON.stringify({
      classNames: ['cat', 'dog'],
      counts: [
        [2, 1],
        [0, 2],
        [0, 0],
      ],
    }),
  );
  writeFileSync(
    join(dir, 'exemplars.json'),
    JSON.stringify({
      clusters: [
        { indices: [3, 0], distances: [0.1, 0.2] },
        { indices: [], distances: [] },
        { indices: [], distances: [] },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      modelTopology: { arch: 'smallvgg', options: { k: 3 } },
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: [
            { name: 'conv1/kernel', shape: [3, 3, 1, 8] },
            { name: 'conv1/bias', shape: [8] },
            { name: 'top/kernel', shape: [8, 3] },
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'metrics.json'),
    JSON.stringify({
      epoch: 4,
      loss: 1.5,
      clusters: { k: 3, empty: 1, largest: 3, smallest: 0 },
      seconds: { epoch: 2 },
    }),
  );
  writeFileSync(
    join(dir, 'checkpoint.json'),
    JSON.stringify({
      version: 1,
      epoch: 4,
      created: 'x',
      arch: 'smallvgg',
      k: 3,
      images: 5,
      files: [{ role: 'assignments', file: 'assignments.i32', bytes: 20 }],
    }),
  );
  const c = readCheckpoint(join(dir, 'checkpoint.json'))!;
  assert.equal(c.manifest.epoch, 4);
  assert.deepEqual(
    c.clusters.map((x) => x.size),
    [3, 2, 0],
  );
  assert.equal(c.clusters[0]!.topLabel, 'cat');
  assert.ok(Math.abs(c.clusters[0]!.purity! - 2 / 3) < 1e-12);
  assert.equal(c.clusters[1]!.topLabel, 'dog');
  assert.equal(c.clusters[1]!.purity, 1);
  assert.equal(c.clusters[2]!.topLabel, undefined);
  assert.deepEqual(c.clusters[0]!.members, [
    { index: 3, distance: 0.1 },
    { index: 0, distance: 0.2 },
  ]);
  assert.deepEqual(
    c.clusters[1]!.members.map((m) => m.index),
    [2, 4],
    'no exemplars: members in dataset order',
  );
  assert.deepEqual(
    c.layers.map((l) => [l.name, l.params]),
    [
      ['conv1', 80],
      ['top', 24],
    ],
  );
  assert.equal(c.totalParams, 104);
  assert.equal(c.metrics?.loss, 1.5);
  assert.equal(readCheckpoint(join(dir, 'nope.json')), undefined);
  assert.deepEqual(labelStats([0, 0], ['a', 'b'], 0), {});
});
