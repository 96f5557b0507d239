// Layout conversions of PyTorch checkpoints, on tensors small enough to check by hand (no torch needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  convertConvWeight,
  convertFc6Weight,
  convertLinearWeight,
  importPytorchStateDict,
  pytorchKeyNames,
  type PytorchTensor,
} from '../../../src/trainer/model/importPytorch';
import type { ModelOptions } from '../../../src/trainer/model';

const pt = (shape: number[]): PytorchTensor => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
});

test('conv [out, in, kh, kw] -> [kh, kw, in, out]', () => {
  const w = convertConvWeight(pt([2, 3, 1, 2])).arraySync();
  // PyTorch element (o, c, 0, x) has value ((o*3 + c)*1 + 0)*2 + x.
  for (let o = 0; o < 2; o++)
    for (let c = 0; c < 3; c++) for (let x = 0; x < 2; x++) assert.equal(w[0][x][c][o], (o * 3 + c) * 2 + x);
});

test('linear [out, in] -> [in, out]', () => {
  assert.deepEqual(convertLinearWeight(pt([2, 3])).arraySync(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
});

test('fc6 rows go from (c, h, w) to (h, w, c) flatten order', () => {
  // 1 output, C=2, H=1, W=2: PyTorch column c*2 + w; ours row w*2 + c.
  assert.deepEqual(
    convertFc6Weight(pt([1, 4]), 1, 2, 2)
      .arraySync()
      .flat(),
    [0, 2, 1, 3],
  );
  assert.throws(() => convertFc6Weight(pt([1, 4]), 2, 2, 2), /fc6 has 4 inputs, but the conv output is 2x2x2 = 8/);
});

test('official Sequential indices map to our names', () => {
  const o = (arch: ModelOptions['arch']): ModelOptions => ({
    arch,
    inputSize: 224,
    inputChannels: 3,
    sobel: true,
    seed: 0,
  });
  const alex = pytorchKeyNames(o('alexnet'));
  assert.equal(alex.get('features.4.weight')!.name, 'conv2.weight');
  assert.equal(alex.get('features.14.weight')!.name, 'conv5.weight');
  assert.equal(alex.get('features.15.running_var')!.name, 'bn5.runningVar');
  assert.equal(alex.get('classifier.1.weight')!.conversion, 'fc6');
  assert.equal(alex.get('classifier.4.weight')!.name, 'fc7.weight');
  assert.equal(alex.get('top_layer.weight')!.name, 'top.weight');
  const vgg = pytorchKeyNames(o('vgg16'));
  assert.equal(vgg.get('features.7.weight')!.name, 'conv3.weight'); // after conv, bn, relu x2 and a pool
  assert.equal(vgg.get('features.40.weight')!.name, 'conv13.weight'); // torchvision's vgg16_bn numbering
  assert.equal(vgg.get('features.41.weight')!.name, 'bn13.gamma');
  assert.equal(vgg.get('classifier.0.weight')!.name, 'fc6.weight');
  assert.equal(vgg.get('classifier.3.bias')!.name, 'fc7.bias');
});

test('DataParallel prefixes are stripped; Sobel tensors are checked, not imported; unknown keys fail', () => {
  const options: ModelOptions = { arch: 'smallvgg', inputSize: 8, inputChannels: 3, sobel: true, seed: 0 };
  const sobel: PytorchTensor = {
    shape: [2, 1, 3, 3],
    data: Float32Array.from([1, 0, -1, 2, 0, -2, 1, 0, -1, 1, 2, 1, 0, 0, 0, -1, -2, -1]),
  };
  const gray: PytorchTensor = { shape: [1, 3, 1, 1], data: Float32Array.from([1 / 3, 1 / 3, 1 / 3]) };
  const out = importPytorchStateDict(
    options,
    new Map([
      ['features.module.0.weight', pt([64, 2, 3, 3])],
      ['features.module.1.num_batches_tracked', { shape: [], data: new Float32Array(1) }],
      ['sobel.0.weight', gray],
      ['sobel.1.weight', sobel],
      ['sobel.1.bias', { shape: [2], data: new Float32Array(2) }],
    ]),
  );
  assert.deepEqual([...out.keys()], ['conv1.weight']);
  assert.deepEqual(out.get('conv1.weight')!.shape, [3, 3, 2, 64]);
  const bad = { ...sobel, data: sobel.data.map((v) => -v) };
  assert.throws(
    () => importPytorchStateDict(options, new Map([['sobel.1.weight', bad]])),
    /not the standard Sobel kernels/,
  );
  assert.throws(
    () => importPytorchStateDict(options, new Map([['features.2.weight', pt([1])]])),
    /features.2.weight: no such weight in smallvgg/,
  );
  assert.throws(
    () => importPytorchStateDict({ ...options, sobel: false }, new Map([['sobel.1.weight', sobel]])),
    /has a Sobel layer but the model has none/,
  );
  tf.dispose([...out.values()]);
});
