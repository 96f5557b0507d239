// The short fidelity check CI runs (bench:fidelity is the full one): 3 epochs on 5 000 Fashion-MNIST train
// images with the peer's settings: the training loss falls every epoch, consecutive clusterings agree well above
// chance, and the clusters carry label information.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PEER_FLAGS } from '../../../src/bench/peer';
import { defaultFullDataset } from '../../../src/trainer/data/sample';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'trainer', 'cli.js');

test('3 epochs on 5 000 images: loss falls, NMI(t, t-1) rises', { timeout: 1_200_000 }, (t) => {
  const data = defaultFullDataset();
  if (!data)
    return t.skip(
      "Debian's dataset-fashion-mnist is not installed (scripts/install-system-deps.sh --test installs it)",
    );
  const out = join(mkdtempSync(join(tmpdir(), 'dc-fid-')), 'run');
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'train',
      '--data',
      data,
      '--limit',
      '5000',
      '--epochs',
      '3',
      '--backend',
      'wasm',
      '--out',
      out,
      ...PEER_FLAGS,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const epochs = readFileSync(join(out, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'epoch')
    .map((e) => e.metrics);
  assert.equal(epochs.length, 3);
  t.diagnostic(
    epochs
      .map(
        (m) =>
          `epoch ${m.epoch}: loss ${m.loss.toFixed(3)} NMI(t,t-1) ${m.nmiPrev?.toFixed(3) ?? '-'} NMI(labels) ${m.nmiLabels.toFixed(3)} ${m.seconds.epoch.toFixed(0)} s`,
      )
      .join('; '),
  );
  // 5 000 images are only 20 steps an epoch (the peer's 20 000 are 79), so the loss falls slowly here
  // (measured: 4.59, 4.54, 4.41); on the peer's 20 000 images epoch 0 matches it (4.13 vs 4.21, NMI 0.497 vs 0.493).
  assert.ok(
    epochs[1].loss < epochs[0].loss && epochs[2].loss < epochs[1].loss,
    `loss falls every epoch: ${epochs.map((m) => m.loss.toFixed(3))}`,
  );
  assert.ok(epochs[2].loss < Math.log(100) - 0.1, `loss below chance (ln 100 = 4.605): ${epochs[2].loss}`);
  // Consecutive clusterings agree far more than chance (the peer's first NMI(t, t-1) was 0.61).
  for (const m of epochs.slice(1)) assert.ok(m.nmiPrev > 0.55, `NMI(t, t-1) at epoch ${m.epoch}: ${m.nmiPrev}`);
  for (const m of epochs) assert.ok(m.nmiLabels > 0.45, `NMI against the labels at epoch ${m.epoch}: ${m.nmiLabels}`);
});
