// The short fidelity check CI runs (bench:fidelity is the full one): 3 epochs on 5 000 Fashion-MNIST train
// images with the peer's settings. As in the official implementation's run, the training loss falls and
// NMI(t, t-1) rises.
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
  if (!data) return t.skip("Debian's dataset-fashion-mnist is not installed (scripts/install-system-deps.sh --test installs it)");
  const out = join(mkdtempSync(join(tmpdir(), 'dc-fid-')), 'run');
  const r = spawnSync(process.execPath, [CLI, 'train', '--data', data, '--limit', '5000', '--epochs', '3', '--backend', 'wasm', '--out', out, ...PEER_FLAGS], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const epochs = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'epoch').map((e) => e.metrics);
  assert.equal(epochs.length, 3);
  t.diagnostic(epochs.map((m) => `epoch ${m.epoch}: loss ${m.loss.toFixed(3)} NMI(t,t-1) ${m.nmiPrev?.toFixed(3) ?? '-'} NMI(labels) ${m.nmiLabels.toFixed(3)} ${m.seconds.epoch.toFixed(0)} s`).join('; '));
  assert.ok(epochs[2].loss < epochs[0].loss - 0.3, `loss falls: ${epochs.map((m) => m.loss.toFixed(3))}`);
  assert.ok(epochs[2].nmiPrev > epochs[1].nmiPrev, `NMI(t, t-1) rises: ${epochs[1].nmiPrev} -> ${epochs[2].nmiPrev}`);
  assert.ok(epochs[2].nmiLabels > 0.4, `clusters carry label information: NMI ${epochs[2].nmiLabels}`);
});
