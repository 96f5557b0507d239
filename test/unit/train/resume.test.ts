// The trainer killed with SIGKILL in each phase of an epoch, then resumed, ends exactly where an uninterrupted
// run ends: same assignments, same losses. Runs the built CLI (npm test builds first) on the bundled sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../cliRunner';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = mkdtempSync(join(tmpdir(), 'dc-cache-'));
const ARGS = [
  '--recipe',
  'paper',
  '--limit',
  '200',
  '--k',
  '8',
  '--pca',
  '16',
  '--epochs',
  '2',
  '--batch-size',
  '64',
  '--input-size',
  '16',
  '--backend',
  'wasm',
  '--cache',
  cache,
];

function epochResult(run: string, epoch: number) {
  const dir = join(run, 'checkpoints', `epoch-${String(epoch).padStart(4, '0')}`);
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  return {
    loss: metrics.loss as number,
    nmiPrev: metrics.nmiPrev as number,
    assignments: readFileSync(join(dir, 'assignments.i32')),
    weights: readFileSync(join(dir, 'weights.bin')),
  };
}

test('SIGKILL in each phase, then resume, reproduces the uninterrupted run', { timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dc-resume-'));
  const reference = join(root, 'reference');
  const r = await runCli(['train', ...ARGS, '--out', reference]);
  assert.equal(r.code, 0, r.stderr);
  const want = epochResult(reference, 1);

  for (const phase of ['features', 'clustering', 'training', 'checkpoint']) {
    const run = join(root, phase);
    const killed = await runCli(['train', ...ARGS, '--out', run, '--json'], { DEEPCLUSTER_FAULT: `${phase}@1` });
    assert.equal(
      killed.signal,
      'SIGKILL',
      `${phase}: expected the trainer to die by SIGKILL; stderr: ${killed.stderr}`,
    );
    // The killed run left epoch 0 complete and nothing of epoch 1 that resume would trust.
    assert.equal(readFileSync(join(run, 'latest'), 'utf8').trim(), 'epoch-0000', phase);
    assert.equal(existsSync(join(run, 'checkpoints', 'epoch-0001', 'checkpoint.json')), false, phase);
    const events = killed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(
      events.some((e) => e.type === 'phase' && e.epoch === 1 && e.phase === phase),
      `${phase}: the phase had started`,
    );

    const resumed = await runCli(['resume', run, '--json']);
    assert.equal(resumed.code, 0, `${phase}: ${resumed.stderr}`);
    const start = resumed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'start');
    assert.equal(start.startEpoch, 1, `${phase}: resume continues after the last complete checkpoint`);
    const got = epochResult(run, 1);
    assert.equal(got.loss, want.loss, `${phase}: epoch-1 loss after resume`);
    assert.equal(got.nmiPrev, want.nmiPrev, `${phase}: NMI(t, t-1) after resume`);
    assert.ok(got.assignments.equals(want.assignments), `${phase}: epoch-1 assignments after resume`);
    assert.ok(got.weights.equals(want.weights), `${phase}: epoch-1 weights after resume`);
    const manifest = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'finished');
    assert.equal(manifest.epochsDone, 2);
  }
});

test('--keep-checkpoints 1 leaves only the newest epoch, and run.json remembers it for resume', {
  timeout: 300_000,
}, async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'dc-keep-')), 'run');
  const r = await runCli(['train', ...ARGS, '--out', run, '--keep-checkpoints', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(join(run, 'checkpoints')), ['epoch-0001']);
  assert.equal(readFileSync(join(run, 'latest'), 'utf8').trim(), 'epoch-0001');
  assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).config.keepCheckpoints, 1);
});
