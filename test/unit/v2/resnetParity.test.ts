// The v2 recipe's small ResNet and projection head against the same network written in PyTorch (eval mode, random
// weights and BatchNorm statistics). Needs Debian's python3-torch; skipped otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../../src/trainer/model';
import { ProjectionHead } from '../../../src/trainer/model/projectionHead';
import { maxAbsDiff, useWasm } from '../model/wasm';

const script = join(__dirname, 'fixtures_resnet_reference.py');
const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
const skip = python ? false : 'python3 with torch is not available';
let dir = '';

before(async () => {
  await useWasm();
  dir = mkdtempSync(join(tmpdir(), 'resnet-parity-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function compare(size: number, channels: number, batch: number): void {
  const r = spawnSync(python!, [script, String(size), String(channels), String(batch), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const index: Record<string, { shape: number[]; offset: number }> = JSON.parse(
    readFileSync(join(dir, 'index.json'), 'utf8'),
  );
  const buf = readFileSync(join(dir, 'tensors.bin'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const weights = new Map<string, tf.Tensor>();
  for (const [name, { shape, offset }] of Object.entries(index))
    weights.set(name, tf.tensor(all.subarray(offset, offset + shape.reduce((a, b) => a * b, 1)), shape));
  const model = createModel({ arch: 'resnet', inputSize: size, inputChannels: channels, sobel: false, seed: 0 });
  const head = new ProjectionHead({
    inputDim: model.featureDim,
    hiddenDim: 512,
    outputDim: 128,
    prototypes: [3],
    seed: 0,
  });
  try {
    const trunk = new Map([...weights].filter(([n]) => !n.startsWith('__') && !n.startsWith('head.')));
    model.loadWeights(trunk);
    head.loadWeights(new Map([...weights, ['prototypes.0', tf.zeros([128, 3])]]));
    const x = weights.get('__input__') as tf.Tensor4D;
    const f = model.features(x);
    const scale = tf.max(tf.abs(weights.get('__features__')!)).dataSync()[0];
    assert.ok(scale > 0.1, `features of order 1 make the tolerance meaningful (max ${scale})`);
    const df = maxAbsDiff(f, weights.get('__features__')!);
    assert.ok(df < 1e-4 * Math.max(1, scale), `features differ by ${df}`);
    const dz = maxAbsDiff(head.embed(f, false), weights.get('__embeddings__')!);
    assert.ok(dz < 1e-4, `embeddings differ by ${dz}`);
  } finally {
    model.dispose();
    head.dispose();
    tf.dispose([...weights.values()]);
  }
}

test('resnet 28 px grey + projection head equal PyTorch (eval) within 1e-4', { skip }, () => compare(28, 1, 4));
test('resnet 64 px RGB (stride-2 stem) + projection head equal PyTorch (eval) within 1e-4', { skip }, () =>
  compare(64, 3, 2),
);
