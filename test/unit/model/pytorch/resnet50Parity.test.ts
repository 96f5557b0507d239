// DeepCluster-v2's ResNet-50 (facebookresearch/swav's layout, re-created in swav_resnet50.py) written by
// torch.save in both formats, read by our reader: arch resnet50, k from the first prototype set, the projection
// head and prototype sets, and trunk features and normalised embeddings within 1e-4 of PyTorch's, at 64 px (the
// network takes any size from 32 px; 224 would make the test ~12x slower on wasm). Needs python3 with torch
// (Debian's python3-torch); skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  readPytorchCheckpoint,
  loadDeepClusterModel,
  describeDeepClusterCheckpoint,
} from '../../../../src/trainer/model/pytorch';
import { inspectPytorch, formatPytorchReport } from '../../../../src/trainer/cli/inspectPytorch';
import { maxAbsDiff, useWasm } from '../wasm';

const script = join(__dirname, 'swav_resnet50.py');
const torchPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
const skip = torchPython ? false : 'python3 with torch is not available (Debian: apt-get install python3-torch)';
let dir = '';

before(async () => {
  if (!torchPython) return;
  await useWasm();
  dir = mkdtempSync(join(tmpdir(), 'resnet50-parity-'));
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

const SIZE = 64;
const PROTOTYPES = [30, 20, 10];

async function check(format: 'zip' | 'legacy'): Promise<void> {
  const file = join(dir, `deepclusterv2-${format}.pth.tar`);
  const r = spawnSync(torchPython!, [script, String(SIZE), '2', '256', '32', PROTOTYPES.join(','), format, file, dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
    input: number[];
    features: number[];
    embeddings: number[];
    params: number;
  };
  const floats = (name: string) => {
    const b = readFileSync(join(dir, name));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const ck = await readPytorchCheckpoint(file);
  assert.equal(ck.format, format);
  const info = describeDeepClusterCheckpoint(ck);
  assert.equal(info.options.arch, 'resnet50');
  assert.equal(info.options.sobel, false);
  assert.equal(info.k, PROTOTYPES[0]);
  assert.deepEqual(info.head, { hiddenDim: 256, outputDim: 32, prototypes: PROTOTYPES });
  assert.equal(info.params, meta.params);
  assert.equal(info.dataParallel, true);
  assert.equal(info.epoch, format === 'zip' ? 7 : undefined);
  const report = formatPytorchReport(await inspectPytorch(file));
  assert.match(report, /arch\s+resnet50/);
  assert.match(report, /k\s+30 \(first of 3 prototype sets: 30, 20, 10\)/);
  assert.match(report, /head\s+projection 2048 -> 256 -> 32/);
  const { model, head } = loadDeepClusterModel(ck, { inputSize: SIZE, withHead: true });
  try {
    assert.ok(head, 'the projection head is loaded');
    assert.equal(model.featureDim, 2048);
    const x = tf.tidy(
      () =>
        tf.transpose(
          tf.tensor4d(floats('input.bin'), meta.input as [number, number, number, number]),
          [0, 2, 3, 1],
        ) as tf.Tensor4D,
    );
    const want = tf.tensor2d(floats('features.bin'), meta.features as [number, number]);
    const got = model.features(x);
    const scale = tf.max(tf.abs(want)).dataSync()[0]!;
    assert.ok(scale > 0.1, `outputs of order 1 make the tolerance meaningful (max |feature| ${scale})`);
    const d = maxAbsDiff(got, want);
    assert.ok(d < 1e-4 * Math.max(1, scale), `features differ by ${d} (max |feature| ${scale})`);
    const wantZ = tf.tensor2d(floats('embeddings.bin'), meta.embeddings as [number, number]);
    const z = tf.tidy(() => head.embed(got, false));
    const dz = maxAbsDiff(z, wantZ);
    assert.ok(dz < 1e-4, `embeddings differ by ${dz}`);
    tf.dispose([x, want, got, wantZ, z]);
  } finally {
    model.dispose();
    head?.dispose();
  }
}

test('DeepCluster-v2 ResNet-50, legacy format, bare DDP state_dict as the released *_pretrain.pth.tar', {
  skip,
}, async () => {
  const t0 = performance.now();
  await check('legacy');
  console.log(`# resnet50 legacy: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

test('DeepCluster-v2 ResNet-50, zip format, training checkpoint {epoch, state_dict, optimizer}', { skip }, async () => {
  const t0 = performance.now();
  await check('zip');
  console.log(`# resnet50 zip: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
