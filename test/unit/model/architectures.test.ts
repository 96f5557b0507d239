// Shapes and parameter counts from the architecture data alone (no weights allocated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParameters, minimumInputSize, architectureSpec, summarizeModel } from '../../../src/trainer/model';

const opts = (arch: 'smallvgg' | 'alexnet' | 'vgg16', inputSize: number, sobel = true, inputChannels = 3) => ({
  arch,
  inputSize,
  inputChannels,
  sobel,
  seed: 0,
});
const row = (rows: ReturnType<typeof summarizeModel>, name: string) => rows.find((r) => r.name === name)!;

test('alexnet at 224 px has the shapes of deepcluster.md 2.1', () => {
  const rows = summarizeModel(opts('alexnet', 224));
  assert.deepEqual(row(rows, 'sobel').outputShape, [224, 224, 2]);
  assert.deepEqual(row(rows, 'conv1').outputShape, [55, 55, 96]);
  assert.deepEqual(row(rows, 'pool1').outputShape, [27, 27, 96]);
  assert.deepEqual(row(rows, 'conv2').outputShape, [27, 27, 256]);
  assert.deepEqual(row(rows, 'pool2').outputShape, [13, 13, 256]);
  assert.deepEqual(row(rows, 'conv5').outputShape, [13, 13, 256]);
  assert.deepEqual(row(rows, 'pool3').outputShape, [6, 6, 256]);
  assert.deepEqual(row(rows, 'flatten').outputShape, [9216]);
  assert.deepEqual(row(rows, 'fc7').outputShape, [4096]);
  assert.equal(rows.at(-1)!.name, 'fc7');
});

test('alexnet with Sobel: conv+BN 3.74M, fc6+fc7 54.53M parameters; top k=10000 adds 40.97M', () => {
  const rows = summarizeModel(opts('alexnet', 224), 10000);
  assert.equal(countParameters(rows, ['conv', 'bn']), 3_738_336);
  assert.equal(
    countParameters(rows, ['conv']) - countParameters([row(rows, 'conv1')]),
    3_738_336 - 23_328 - 2 * (96 + 256 + 384 + 384 + 256),
  );
  assert.equal(row(rows, 'fc6').params + row(rows, 'fc7').params, 54_534_144);
  assert.equal(row(rows, 'top').params, 40_970_000);
  assert.equal(row(rows, 'conv1').params, 11 * 11 * 2 * 96 + 96);
});

test('vgg16 at 224 px: 7x7x512 = 25088 into fc6, about 134.3M parameters without the top layer', () => {
  for (const sobel of [true, false]) {
    const rows = summarizeModel(opts('vgg16', 224, sobel));
    assert.deepEqual(row(rows, 'flatten').outputShape, [25088]);
    assert.equal(rows.filter((r) => r.kind === 'conv').length, 13);
    const total = countParameters(rows.filter((r) => r.trainable));
    assert.ok(Math.abs(total - 134.3e6) < 0.05e6, `vgg16 sobel=${sobel}: ${total}`);
    // torchvision's vgg16_bn has 138,365,992 with its 1000-way fc8 (4,097,000); Sobel's 2 channels save 64*9.
    assert.equal(total, sobel ? 134_268_416 : 134_268_992);
  }
  // No dropout before fc6 in VGG.
  assert.deepEqual(
    architectureSpec('vgg16').classifier.map((l) => l.name),
    ['fc6', 'relu6', 'dropout7', 'fc7'],
  );
  assert.deepEqual(
    architectureSpec('alexnet').classifier.map((l) => l.name),
    ['dropout6', 'fc6', 'relu6', 'dropout7', 'fc7'],
  );
});

test('smallvgg: 3x3x256 = 2304 at 28 px, 4x4x256 at 32 px, fc 512', () => {
  const r28 = summarizeModel(opts('smallvgg', 28, true, 1));
  assert.deepEqual(row(r28, 'pool3').outputShape, [3, 3, 256]);
  assert.equal(row(r28, 'fc6').params, 2304 * 512 + 512);
  assert.equal(row(r28, 'conv1').params, 3 * 3 * 2 * 64 + 64);
  const r32 = summarizeModel(opts('smallvgg', 32, false, 1));
  assert.deepEqual(row(r32, 'flatten').outputShape, [4096]);
  assert.equal(row(r32, 'conv1').params, 3 * 3 * 1 * 64 + 64);
  assert.deepEqual(row(r32, 'fc7').outputShape, [512]);
});

test('input size checks give the smallest size that fits, and say why', () => {
  assert.equal(minimumInputSize(architectureSpec('smallvgg')), 8);
  assert.equal(minimumInputSize(architectureSpec('alexnet')), 63);
  assert.equal(minimumInputSize(architectureSpec('vgg16')), 32);
  assert.throws(
    () => summarizeModel(opts('alexnet', 62)),
    /^Error: alexnet needs an input of at least 63 px: at 62 px, pool3 gets 2x2, smaller than its 3x3 window$/,
  );
  assert.throws(
    () => summarizeModel(opts('smallvgg', 7)),
    /smallvgg needs an input of at least 8 px: at 7 px, pool3 gets 1x1/,
  );
  assert.throws(() => summarizeModel(opts('vgg16', 31)), /vgg16 needs an input of at least 32 px/);
  assert.throws(() => summarizeModel(opts('smallvgg', 0)), /positive integer/);
  assert.deepEqual(row(summarizeModel(opts('alexnet', 63)), 'pool3').outputShape, [1, 1, 256]);
});
