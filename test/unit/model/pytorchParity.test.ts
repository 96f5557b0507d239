// Our forward pass against a PyTorch re-creation with the same weights, through importPytorchStateDict.
// Needs python3 with torch (Debian's python3-torch); skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, type ModelOptions } from '../../../src/trainer/model';
import { importPytorchStateDict, pytorchKeyNames, type PytorchTensor } from '../../../src/trainer/model/importPytorch';
import { maxAbsDiff, useWasm } from './wasm';

const script = join(__dirname, 'fixtures', 'pytorch_reference.py');
// Debian's torch lives in the system python; a pyenv python3 on PATH may not see it.
const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
const skip = python ? false : 'python3 with torch is not available';
let dir = '';

before(async () => {
  await useWasm();
  dir = mkdtempSync(join(tmpdir(), 'model-parity-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function runPython(args: string[]): string {
  const r = spawnSync(python!, [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Runs the PyTorch reference, loads its weights into our model, and compares features and logits. */
function compare(options: ModelOptions, batch: number, k: number): void {
  runPython([
    'forward',
    options.arch,
    String(options.inputSize),
    String(options.inputChannels),
    options.sobel ? '1' : '0',
    String(batch),
    String(k),
    dir,
  ]);
  const index: Record<string, { shape: number[]; offset: number }> = JSON.parse(
    readFileSync(join(dir, 'index.json'), 'utf8'),
  );
  const buf = readFileSync(join(dir, 'tensors.bin'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const stateDict = new Map<string, PytorchTensor>();
  for (const [name, { shape, offset }] of Object.entries(index)) {
    stateDict.set(name, { shape, data: all.subarray(offset, offset + shape.reduce((a, b) => a * b, 1)) });
  }
  const take = (name: string) => {
    const t = stateDict.get(name)!;
    stateDict.delete(name);
    return tf.tensor(t.data, t.shape);
  };
  const x = tf.transpose(take('__input__'), [0, 2, 3, 1]) as tf.Tensor4D; // NCHW -> NHWC
  const features = take('__features__');
  const logits = take('__logits__');
  const model = createModel(options);
  try {
    model.loadWeights(importPytorchStateDict(options, stateDict));
    assert.equal(model.k, k);
    const scale = tf.max(tf.abs(features)).dataSync()[0];
    assert.ok(scale > 0.1, `outputs of order 1 make the tolerance meaningful (max |feature| ${scale})`);
    const df = maxAbsDiff(model.features(x), features);
    const dl = maxAbsDiff(model.logits(x, false), logits);
    assert.ok(df < 1e-4 * Math.max(1, scale), `features differ by ${df} (max |feature| ${scale})`);
    assert.ok(dl < 1e-4 * Math.max(1, scale), `logits differ by ${dl}`);
  } finally {
    model.dispose();
  }
}

test('smallvgg, 28 px grey with Sobel, equals PyTorch (eval) within 1e-4', { skip }, () => {
  compare({ arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 0 }, 4, 10);
});

test('smallvgg, 32 px RGB without Sobel, equals PyTorch (eval) within 1e-4', { skip }, () => {
  compare({ arch: 'smallvgg', inputSize: 32, inputChannels: 3, sobel: false, seed: 0 }, 3, 7);
});

test('alexnet, 95 px RGB with Sobel (padded conv1, 2x2 fc6 flatten order), equals PyTorch within 1e-4', {
  skip,
}, () => {
  compare({ arch: 'alexnet', inputSize: 95, inputChannels: 3, sobel: true, seed: 0 }, 2, 5);
});

test('every official state_dict key of the three architectures at their paper sizes maps to one of our names', {
  skip,
}, () => {
  const all = [
    { arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 0 },
    { arch: 'alexnet', inputSize: 224, inputChannels: 3, sobel: true, seed: 0 },
    { arch: 'vgg16', inputSize: 224, inputChannels: 3, sobel: false, seed: 0 },
  ] as ModelOptions[];
  const keys: Record<string, number[]>[] = JSON.parse(
    runPython([
      'keys',
      ...all.flatMap((o) => [o.arch, String(o.inputSize), String(o.inputChannels), o.sobel ? '1' : '0']),
    ]),
  );
  all.forEach((options, i) => {
    const theirs = Object.keys(keys[i])
      .filter((k) => !k.endsWith('num_batches_tracked') && !k.startsWith('sobel.'))
      .sort();
    assert.deepEqual(theirs, [...pytorchKeyNames(options).keys()].sort(), options.arch);
  });
});
