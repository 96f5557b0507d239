import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readPidFile, removePidFile, trainerLiveness, writePidFile } from '../../../src/runfolder/liveness';
import {
  RunDirError,
  createRunDir,
  newRunManifest,
  readRunManifest,
  setRunStatus,
  updateRunManifest,
} from '../../../src/runfolder/manifest';
import { findRuns, readRun } from '../../../src/runfolder/runs';
import { readSkipped, writeSkipped } from '../../../src/runfolder/skipped';
import { fakeConfig, fakeDataset, tempDir } from '../run/fixture';

async function newRun(dir: string) {
  const manifest = newRunManifest({ config: fakeConfig(dir), dataset: fakeDataset() });
  await createRunDir(dir, manifest);
  return manifest;
}

test('createRunDir makes a new folder, or uses an empty one, and writes run.json', async () => {
  const root = await tempDir();
  const fresh = path.join(root, 'a', 'b');
  const m = await newRun(fresh);
  assert.equal(m.id, 'b');
  assert.deepEqual((await fs.readdir(fresh)).sort(), ['checkpoints', 'run.json']);
  const back = await readRunManifest(fresh);
  assert.equal(back.status, 'running');
  assert.equal(back.config.k, 3);
  assert.equal(back.epochsDone, 0);

  const empty = path.join(root, 'empty');
  await fs.mkdir(empty);
  await fs.writeFile(path.join(empty, '.DS_Store'), '');
  await newRun(empty);
});

test('createRunDir refuses a folder holding another run, or foreign files, with one line', async () => {
  const root = await tempDir();
  const run = path.join(root, 'run');
  await newRun(run);
  await assert.rejects(newRun(run), (err: Error) => {
    assert.ok(err instanceof RunDirError);
    assert.match(
      err.message,
      /already holds run run \(running, 0 epochs\); continue it with `deepcluster resume .*run`/,
    );
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  const foreign = path.join(root, 'photos');
  await fs.mkdir(foreign);
  await fs.writeFile(path.join(foreign, 'cat.jpg'), 'x');
  await assert.rejects(newRun(foreign), /output folder .*photos is not empty \(1 entries: cat\.jpg\)/);
  assert.deepEqual(await fs.readdir(foreign), ['cat.jpg'], 'nothing written into a foreign folder');
  const file = path.join(root, 'file');
  await fs.writeFile(file, 'x');
  await assert.rejects(newRun(file), /is a file, not a folder/);
});

test('status and manifest updates are persisted', async () => {
  const dir = path.join(await tempDir(), 'r');
  await newRun(dir);
  await updateRunManifest(dir, (m) => {
    m.epochsDone = 2;
  });
  const failed = await setRunStatus(dir, 'failed', 'disk full while writing x');
  assert.equal(failed.status, 'failed');
  const back = await readRunManifest(dir);
  assert.equal(back.epochsDone, 2);
  assert.equal(back.message, 'disk full while writing x');
  await setRunStatus(dir, 'finished');
  assert.equal((await readRunManifest(dir)).message, undefined);
});

test('pid file: alive for this process, stale for a process that is gone; running + stale reads as interrupted', async () => {
  const dir = path.join(await tempDir(), 'r');
  await newRun(dir);
  assert.equal((await trainerLiveness(dir)).liveness, 'none');
  const info = await writePidFile(dir);
  assert.equal(info.pid, process.pid);
  assert.equal((await readPidFile(dir))!.pid, process.pid);
  assert.equal((await trainerLiveness(dir)).liveness, 'alive');
  assert.equal(readRun(dir).state, 'running');

  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const text = await fs.readFile(path.join(dir, 'trainer.pid'), 'utf8');
  await fs.writeFile(path.join(dir, 'trainer.pid'), text.replace(/^\d+/, String(gone)));
  assert.equal((await trainerLiveness(dir)).liveness, 'stale');
  const state = readRun(dir);
  assert.equal(state.state, 'interrupted');
  assert.equal(state.pidInfo!.pid, gone);

  await removePidFile(dir);
  assert.equal((await trainerLiveness(dir)).liveness, 'none');
});

test('skipped.txt round-trips any name: tab, newline, quotes, invalid UTF-8 bytes', async () => {
  const dir = path.join(await tempDir(), 'r');
  await newRun(dir);
  const skipped = [
    { path: '/d/a.png', reason: 'zero bytes' },
    { path: '/d/b\tc.jpg', reason: 'corrupt JPEG\nmarker' },
    { path: '/d/line\nbreak "q".png', reason: 'not an image' },
    { path: '/d/latin1-\udce9.png', reason: 'truncated' },
  ];
  await writeSkipped(dir, skipped);
  assert.deepEqual(readSkipped(dir), skipped);
  assert.equal((await fs.readFile(path.join(dir, 'skipped.txt'), 'utf8')).split('\n').length, skipped.length + 2);
});

test('skipped.txt of format 1 (name<TAB>reason) is still read', async () => {
  const dir = path.join(await tempDir(), 'r');
  await newRun(dir);
  await fs.writeFile(path.join(dir, 'skipped.txt'), '/d/a.png\tzero bytes\n/d/b c.jpg\tcorrupt\n');
  assert.deepEqual(readSkipped(dir), [
    { path: '/d/a.png', reason: 'zero bytes' },
    { path: '/d/b c.jpg', reason: 'corrupt' },
  ]);
});

test('findRuns finds run folders below a root and not inside runs', async () => {
  const root = await tempDir();
  await newRun(path.join(root, 'runs', 'one'));
  await newRun(path.join(root, 'runs', 'two'));
  await newRun(path.join(root, 'deep', 'a', 'b', 'c', 'too-deep'));
  await fs.mkdir(path.join(root, 'runs', 'one', 'checkpoints', 'nested'), { recursive: true });
  await fs.writeFile(path.join(root, 'runs', 'one', 'checkpoints', 'nested', 'run.json'), '{}');
  assert.deepEqual(await findRuns(root), [path.join(root, 'runs', 'one'), path.join(root, 'runs', 'two')]);
  assert.equal((await findRuns(root, 5)).length, 3);
});
