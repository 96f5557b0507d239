import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { multiCropBatch, multiCropFor } from '../../../src/trainer/data/multiCrop';
import { createModel } from '../../../src/trainer/model';
import { ProjectionHead } from '../../../src/trainer/model/projectionHead';
import { namedParameters, Sgd } from '../../../src/trainer/train/sgd';
import { v2TrainStep } from '../../../src/trainer/train/v2/step';
import { learningRate } from '../../../src/trainer/train/v2/lrSchedule';
import { MemoryBank } from '../../../src/trainer/train/v2/memoryBank';

const norm = { mean: [0.5], std: [0.25], source: 'computed' as const };

test('multi-crop: 2 large crops at the input size and the small ones at ~4/7 of it, crop-major, normalised', () => {
  const n = 3,
    s = 28;
  const u8 = Uint8Array.from({ length: n * s * s }, (_, i) => (i * 37) % 256);
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const opts = multiCropFor(s, 4);
  assert.equal(opts.small.size, 16);
  const b = multiCropBatch(u8, n, s, 1, norm, opts, random);
  assert.deepEqual(b.large.shape, [2 * n, s, s, 1]);
  assert.deepEqual(b.small!.shape, [4 * n, 16, 16, 1]);
  const v = b.large.dataSync();
  const lo = (0 - 0.5) / 0.25,
    hi = (1 - 0.5) / 0.25;
  assert.ok(
    v.every((x) => x >= lo - 1e-6 && x <= hi + 1e-6),
    'values are normalised [0, 1] pixels',
  );
  tf.dispose([b.large, b.small!]);
  assert.equal(multiCropBatch(u8, n, s, 1, norm, multiCropFor(s, 0), random).small, undefined);
  assert.equal(multiCropFor(96, 2).small.size, 54);
});

test('a v2 step trains trunk and head, leaves the prototypes frozen, and returns unit bank embeddings', async () => {
  await tf.setBackend('cpu');
  const model = createModel({ arch: 'resnet', inputSize: 12, inputChannels: 1, sobel: false, seed: 1 });
  const head = new ProjectionHead({
    inputDim: model.featureDim,
    hiddenDim: 16,
    outputDim: 8,
    prototypes: [5, 5],
    seed: 1,
  });
  const random = () => 0.37;
  const unit = Float32Array.from({ length: 5 * 8 }, (_, i) => (i % 8 === (i / 8) % 8 ? 1 : 0.1));
  head.setPrototypes(0, unit);
  head.setPrototypes(1, unit);
  const protoBefore = [...head.namedWeights()]
    .filter(([n]) => n.startsWith('prototypes.'))
    .map(([, v]) => v.dataSync().slice());
  const params = namedParameters(model, 'body');
  head.variables().forEach((v, i) => params.set(`head${i}`, v));
  const optimizer = new Sgd(params, { lr: 0.1, momentum: 0.9, weightDecay: 1e-5 });
  const fc1Before = head.namedWeights().get('head.fc1.weight')!.dataSync().slice();
  const convBefore = model.namedWeights().get('conv2.weight')!.dataSync().slice();
  const batch = 4;
  const u8 = Uint8Array.from({ length: batch * 12 * 12 }, (_, i) => (i * 53) % 256);
  const crops = multiCropBatch(u8, batch, 12, 1, norm, multiCropFor(12, 2), random);
  const r = await v2TrainStep(
    model,
    head,
    crops,
    [Int32Array.from([0, 1, 2, 3]), Int32Array.from([4, 3, 2, 1])],
    optimizer,
    0.1,
  );
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
  assert.equal(r.headLosses.length, 2);
  assert.ok(Math.abs(r.loss - (r.headLosses[0] + r.headLosses[1]) / 2) < 1e-5, 'loss is the mean over prototype sets');
  assert.equal(r.bankEmbeddings.length, 2 * batch * 8);
  for (let i = 0; i < 2 * batch; i++)
    assert.ok(Math.abs(Math.hypot(...r.bankEmbeddings.subarray(i * 8, (i + 1) * 8)) - 1) < 1e-5);
  const protoAfter = [...head.namedWeights()].filter(([n]) => n.startsWith('prototypes.')).map(([, v]) => v.dataSync());
  protoAfter.forEach((p, h) =>
    assert.deepEqual(Array.from(p), Array.from(protoBefore[h]), `prototype set ${h} changed`),
  );
  assert.notDeepEqual(
    Array.from(head.namedWeights().get('head.fc1.weight')!.dataSync()),
    Array.from(fc1Before),
    'head trained',
  );
  assert.notDeepEqual(
    Array.from(model.namedWeights().get('conv2.weight')!.dataSync()),
    Array.from(convBefore),
    'trunk trained',
  );
  assert.ok(
    !optimizer.variables().some((v) => protoAfter.includes(v.dataSync())),
    'prototypes are not optimizer parameters',
  );
  tf.dispose([crops.large, crops.small!]);
  optimizer.dispose();
  head.dispose();
  model.dispose();
});

test('learning rate: linear warm-up, then cosine down to the final value', () => {
  const s = { base: 1, start: 0.1, final: 0.001, warmupSteps: 10, totalSteps: 110 };
  assert.equal(learningRate(s, 0), 0.1);
  assert.ok(Math.abs(learningRate(s, 5) - 0.55) < 1e-12);
  assert.equal(learningRate(s, 10), 1);
  assert.ok(Math.abs(learningRate(s, 60) - (0.001 + 0.5 * 0.999)) < 1e-12);
  assert.ok(Math.abs(learningRate(s, 110) - 0.001) < 1e-12);
  assert.ok(learningRate(s, 30) > learningRate(s, 31));
});

test("memory bank writes each crop's rows at the images' dataset indices", () => {
  const bank = new MemoryBank(5, 2);
  bank.write([4, 1], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual(Array.from(bank.crops[0]), [0, 0, 3, 4, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(Array.from(bank.crops[1]), [0, 0, 7, 8, 0, 0, 0, 0, 5, 6]);
  assert.throws(() => bank.write([0], Float32Array.from([1, 2])), /memory bank/);
});
