import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processExists as isPidAlive } from '../../../src/runfolder/liveness';
import { RunManager, trainerCommand } from '../../../src/extension/runManager';
import type { TrainerEvent } from '../../../src/protocol';
import { builtHost, FAKE_TRAINER, FIXTURES, tempDir, waitFor } from './helpers';

const launch = () => ({ nodePath: process.execPath, cliPath: FAKE_TRAINER, hostPath: builtHost() });

test('trainerCommand spawns node + host + cli with ELECTRON_RUN_AS_NODE and no shell quoting', () => {
  const c = trainerCommand({ nodePath: '/n', cliPath: '/c.js', hostPath: '/h.js' }, ['train', '--data', '/a b/c']);
  assert.equal(c.file, '/n');
  assert.deepEqual(c.args, ['/h.js', '/c.js', 'train', '--data', '/a b/c']);
  assert.equal(c.env.ELECTRON_RUN_AS_NODE, '1');
});

test('a run streams parsed events and log lines, and finishes', async (t) => {
  const out = join(tempDir(t), 'run1');
  const m = new RunManager({ launch: launch() });
  const seen: TrainerEvent['type'][] = [];
  const logs: string[] = [];
  m.onEvent((_r, e) => seen.push(e.type));
  m.onLog((_r, line) => logs.push(line));
  const run = m.start(out, ['train', '--out', out, '--epochs', '2', '--epoch-ms', '10']);
  const exit = await run.exited;
  assert.equal(exit.code, 0);
  assert.deepEqual(seen, ['start', 'phase', 'epoch', 'checkpoint', 'phase', 'epoch', 'checkpoint', 'done']);
  assert.deepEqual(logs, ['fake trainer: a plain log line']);
  assert.equal(run.progress.finished, 'done');
  assert.equal(run.progress.epochsFinished, 2);
  assert.equal(m.isActive(out), false);
});

test('several runs at once; stop sends SIGTERM and the trainer checkpoints first', async (t) => {
  const root = tempDir(t);
  const m = new RunManager({ launch: launch(), stopTimeoutMs: 5000 });
  const a = m.start(join(root, 'a'), ['train', '--out', join(root, 'a'), '--epochs', '1000', '--epoch-ms', '100']);
  const b = m.start(join(root, 'b'), ['train', '--out', join(root, 'b'), '--epochs', '1000', '--epoch-ms', '100']);
  assert.throws(() => m.start(join(root, 'a'), ['train']), /already running/);
  assert.ok(await waitFor(() => a.progress.epochsFinished >= 1 && b.progress.epochsFinished >= 1));
  const exit = await m.stop(join(root, 'a'));
  assert.equal(exit?.code, 0);
  assert.equal(a.events.at(-1)?.type, 'stopped');
  assert.equal(m.isActive(join(root, 'b')), true);
  await m.dispose();
  assert.ok(b.exit);
  assert.equal(isPidAlive(b.pid!), false);
});

test('a trainer that ignores SIGTERM is SIGKILLed after the timeout', async (t) => {
  const out = join(tempDir(t), 'r');
  const m = new RunManager({ launch: launch() });
  const run = m.start(out, ['train', '--out', out, '--epochs', '1000', '--epoch-ms', '100', '--ignore-sigterm']);
  assert.ok(await waitFor(() => run.progress.epochsFinished >= 1));
  const t0 = Date.now();
  const exit = await m.stop(out, 300);
  assert.equal(exit?.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 >= 250);
  assert.equal(isPidAlive(run.pid!), false);
});

test('re-attach after a reload: follow a live trainer through its pid file and events.jsonl, then stop it', async (t) => {
  const out = join(tempDir(t), 'r');
  // The "earlier window": a trainer started outside this manager.
  const child = spawn(process.execPath, [FAKE_TRAINER, 'train', '--out', out, '--epochs', '1000', '--epoch-ms', '50'], {
    stdio: 'ignore',
  });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(await waitFor(() => existsSync(join(out, 'trainer.pid'))));
  const m = new RunManager({ launch: launch(), pollMs: 50 });
  const run = m.attach(out)!;
  assert.ok(run, 'attached');
  assert.equal(run.owned, false);
  assert.equal(run.pid, child.pid);
  assert.ok(await waitFor(() => run.progress.epochsFinished >= 2));
  assert.equal(run.events[0]?.type, 'start');
  await m.stop(out, 3000);
  assert.ok(await waitFor(() => !!run.exit, 3000));
  assert.equal(isPidAlive(child.pid!), false);
  assert.equal(m.attach(out), undefined, 'nothing alive to attach to');
  await m.dispose();
});

test('no orphan: when the parent (extension host) is SIGKILLed, trainerHost ends the trainer', async (t) => {
  const out = join(tempDir(t), 'r');
  const parent = spawn(
    process.execPath,
    [
      join(FIXTURES, 'spawnAndWait.js'),
      builtHost(),
      FAKE_TRAINER,
      'train',
      '--out',
      out,
      '--epochs',
      '100000',
      '--epoch-ms',
      '100',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => parent.kill('SIGKILL'));
  const pid = await new Promise<number>((r) => parent.stdout!.once('data', (d) => r(Number(String(d).trim()))));
  assert.ok(await waitFor(() => existsSync(join(out, 'trainer.pid'))));
  assert.equal(isPidAlive(pid), true);
  parent.kill('SIGKILL');
  assert.ok(await waitFor(() => !isPidAlive(pid), 5000), 'trainer outlived its parent');
  // it went through SIGTERM, so the fake trainer wrote its clean stop
  assert.ok(existsSync(join(out, 'checkpoints')));
});
