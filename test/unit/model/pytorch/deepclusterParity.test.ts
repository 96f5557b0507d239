// Checkpoints written by torch.save from the official DeepCluster AlexNet / VGG16 definitions (re-created in
// official_checkpoint.py), read by our reader in both formats: inferred arch, k, Sobel and epoch, and clustering
// features within 1e-4 of PyTorch's. Needs python3 with torch (Debian's python3-torch); skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readPytorchCheckpoint, loadDeepClusterModel } from '../../../../src/trainer/model/pytorch';
import { maxAbsDiff, useWasm } from '../wasm';

const script = join(__dirname, 'official_checkpoint.py');
// Debian's torch lives in the system python; a pyenv python3 on PATH may not see it.
export const torchPython = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
const skip = torchPython ? false : 'python3 with torch is not available';
let dir = '';

before(async () => {
  if (!torchPython) return;
  await useWasm();
  dir = mkdtempSync(join(tmpdir(), 'pytorch-parity-'));
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

interface Case {
  arch: 'alexnet' | 'vgg16';
  size: number;
  sobel: boolean;
  format: 'zip' | 'legacy';
  dataParallel: boolean;
  numBatchesTracked: boolean;
  momentum: boolean;
  batch: number;
  k: number;
}

async function check(c: Case): Promise<void> {
  const file = join(dir, `${c.arch}-${c.format}.pth.tar`);
  const flag = (b: boolean) => (b ? '1' : '0');
  const r = spawnSync(
    torchPython!,
    [
      script,
      c.arch,
      String(c.size),
      flag(c.sobel),
      c.format,
      flag(c.dataParallel),
      flag(c.numBatchesTracked),
      flag(c.momentum),
      String(c.batch),
      String(c.k),
      file,
      dir,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
    input: number[];
    features: number[];
    params: number;
  };
  const floats = (name: string) => {
    const b = readFileSync(join(dir, name));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const ck = await readPytorchCheckpoint(file);
  assert.equal(ck.format, c.format);
  const { model, info } = loadDeepClusterModel(ck);
  try {
    assert.equal(info.options.arch, c.arch);
    assert.equal(info.options.sobel, c.sobel);
    assert.equal(info.options.inputSize, c.size);
    assert.equal(info.options.inputChannels, 3);
    assert.equal(info.k, c.k);
    assert.equal(info.epoch, 42);
    assert.equal(info.archField, c.arch);
    assert.equal(info.dataParallel, c.dataParallel);
    assert.equal(info.params, meta.params);
    assert.equal(info.optimizer?.tensors, c.momentum ? model.bodyVariables().length + 2 : 0);
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
    tf.dispose([x, want, got]);
  } finally {
    model.dispose();
  }
}

test('AlexNet-BN + Sobel, legacy format as the 2018 release (DataParallel features, no num_batches_tracked), 224 px', {
  skip,
}, async () => {
  await check({
    arch: 'alexnet',
    size: 224,
    sobel: true,
    format: 'legacy',
    dataParallel: true,
    numBatchesTracked: false,
    momentum: false,
    batch: 2,
    k: 30,
  });
});

test('AlexNet-BN + Sobel, zip format with num_batches_tracked and SGD momentum buffers, 95 px', { skip }, async () => {
  await check({
    arch: 'alexnet',
    size: 95,
    sobel: true,
    format: 'zip',
    dataParallel: false,
    numBatchesTracked: true,
    momentum: true,
    batch: 2,
    k: 7,
  });
});

test('VGG16-BN + Sobel, zip format, DataParallel, 32 px (1x1 map before fc6)', { skip }, async () => {
  await check({
    arch: 'vgg16',
    size: 32,
    sobel: true,
    format: 'zip',
    dataParallel: true,
    numBatchesTracked: true,
    momentum: false,
    batch: 2,
    k: 11,
  });
});

test('VGG16-BN without Sobel, legacy format, 64 px', { skip }, async () => {
  await check({
    arch: 'vgg16',
    size: 64,
    sobel: false,
    format: 'legacy',
    dataParallel: false,
    numBatchesTracked: false,
    momentum: false,
    batch: 2,
    k: 5,
  });
});
