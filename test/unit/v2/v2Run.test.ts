// The v2 recipe end to end through the built CLI on the bundled sample: it learns (NMI against the labels rises
// above the untrained network's clustering), it ends with the quality report, and a SIGKILL mid-training or
// mid-clustering followed by `resume` ends exactly where the uninterrupted run ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../cliRunner';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = mkdtempSync(join(tmpdir(), 'dc-cache-'));
const ARGS = ['--recipe', 'v2', '--limit', '1000', '--epochs', '3', '--backend', 'wasm', '--cache', cache, '--json'];
// Smaller for the kill-and-resume replays (three runs).
const RESUME_ARGS = [
  '--recipe',
  'v2',
  '--limit',
  '320',
  '--epochs',
  '2',
  '--backend',
  'wasm',
  '--cache',
  cache,
  '--json',
];

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
const last = (run: string) => {
  const dir = join(run, 'checkpoints', 'epoch-0001');
  return {
    assignments: readFileSync(join(dir, 'assignments.i32')),
    weights: readFileSync(join(dir, 'weights.bin')),
    optimizer: readFileSync(join(dir, 'optimizer.bin')),
  };
};

test('v2 on 1 000 sample images: NMI vs labels rises over training, and the quality report follows', {
  timeout: 900_000,
}, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dc-v2-'));
  const reference = join(root, 'reference');
  const r = await runCli(['train', ...ARGS, '--out', reference]);
  assert.equal(r.code, 0, r.stderr);
  const ev = events(r.stdout);
  const initial = ev.find((e) => e.type === 'initialClustering').metrics.nmiLabels as number;
  const epochs = ev.filter((e) => e.type === 'epoch').map((e) => e.metrics.nmiLabels as number);
  assert.equal(epochs.length, 3);
  assert.ok(
    epochs[2] > initial + 0.02,
    `NMI vs labels should rise with training: ${initial.toFixed(3)} before, ${epochs.map((v) => v.toFixed(3)).join(' ')} after each epoch`,
  );
  const quality = ev.find((e) => e.type === 'evaluation').quality;
  assert.deepEqual(
    quality.rows.map((row: { features: string }) => row.features),
    ['pixels', 'untrained', 'trained'],
  );
  assert.ok(existsSync(join(reference, 'evaluations', 'epoch-0002.json')), 'the report is kept for the inspector');
  const config = JSON.parse(readFileSync(join(reference, 'run.json'), 'utf8')).config;
  assert.equal(config.batchSize, 32, 'batch picked from the dataset size (1 000 images)');
  assert.equal(config.k, 25, 'prototypes per set picked from the dataset size');
});

test('v2: a SIGKILL mid-training, mid-clustering or mid-checkpoint, then resume, ends where the uninterrupted run ends', {
  timeout: 900_000,
}, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dc-v2-resume-'));
  const reference = join(root, 'reference');
  const r = await runCli(['train', ...RESUME_ARGS, '--out', reference]);
  assert.equal(r.code, 0, r.stderr);
  const want = last(reference);
  for (const fault of ['training@1', 'clustering@1', 'checkpoint@1']) {
    const run = join(root, fault.replace('@', '-'));
    const killed = await runCli(['train', ...RESUME_ARGS, '--out', run], { DEEPCLUSTER_FAULT: fault });
    assert.equal(killed.signal, 'SIGKILL', `${fault}: ${killed.stderr}`);
    assert.equal(readFileSync(join(run, 'latest'), 'utf8').trim(), 'epoch-0000', fault);
    const resumed = await runCli(['resume', run, '--json']);
    assert.equal(resumed.code, 0, `${fault}: ${resumed.stderr}`);
    assert.equal(events(resumed.stdout).find((e) => e.type === 'start').startEpoch, 1, fault);
    const got = last(run);
    assert.ok(got.assignments.equals(want.assignments), `${fault}: final assignments after resume`);
    assert.ok(got.weights.equals(want.weights), `${fault}: final weights after resume`);
    assert.ok(got.optimizer.equals(want.optimizer), `${fault}: final optimizer state after resume`);
  }
});
