// Forward passes, initialisation, BatchNorm running statistics, the top layer and weight round trips (wasm).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // tfjs-core alone registers no gradients
import { countParameters, createModel, type ConvNet, type ModelOptions } from '../../../src/trainer/model';
import { maxAbsDiff, useWasm } from './wasm';

before(useWasm);

const small = (o: Partial<ModelOptions> = {}): ConvNet =>
  createModel({ arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 7, ...o });
const input = (n: number, size: number, c: number, seed = 3) =>
  tf.randomNormal([n, size, size, c], 0, 1, 'float32', seed) as tf.Tensor4D;

/** Mean and standard deviation in double precision (a float32 reduction over 37M values is off by 5%). */
function std(t: tf.Tensor): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of t.dataSync()) {
    s += v;
    s2 += v * v;
  }
  const mean = s / t.size;
  return { mean, std: Math.sqrt(s2 / t.size - mean * mean) };
}

test('alexnet at 224 px with Sobel: 55x55x96 conv1, 4096-d features, He fan-out init', () => {
  const m = createModel({ arch: 'alexnet', inputSize: 224, inputChannels: 3, sobel: true, seed: 1 });
  try {
    const x = input(2, 224, 3);
    assert.deepEqual(m.convActivations(x, 'conv1').shape, [2, 55, 55, 96]);
    assert.deepEqual(m.convActivations(x, 'conv5').shape, [2, 13, 13, 256]);
    const f = m.features(x);
    assert.deepEqual(f.shape, [2, 4096]);
    assert.ok(f.dataSync().every(Number.isFinite));
    assert.deepEqual(m.convLayerNames(), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
    const w = m.namedWeights();
    const c1 = std(w.get('conv1.weight')!);
    assert.ok(Math.abs(c1.std / Math.sqrt(2 / (11 * 11 * 96)) - 1) < 0.02, `conv1 std ${c1.std}`);
    assert.ok(Math.abs(c1.mean) < 0.001);
    const c2 = std(w.get('conv2.weight')!);
    assert.ok(Math.abs(c2.std / Math.sqrt(2 / (5 * 5 * 256)) - 1) < 0.01, `conv2 std ${c2.std}`);
    const fc6 = std(w.get('fc6.weight')!);
    assert.ok(Math.abs(fc6.std / 0.01 - 1) < 0.002, `fc6 std ${fc6.std}`);
    assert.deepEqual(w.get('fc6.weight')!.shape, [9216, 4096]);
    assert.equal(tf.max(tf.abs(w.get('conv3.bias')!)).dataSync()[0], 0);
    assert.equal(tf.max(tf.abs(w.get('fc7.bias')!)).dataSync()[0], 0);
    // bodyVariables are exactly the trainable parameters of the summary (Sobel and running statistics excluded).
    const bodyParams = m.bodyVariables().reduce((s, v) => s + v.size, 0);
    assert.equal(bodyParams, countParameters(m.summary().filter((r) => r.trainable)));
    assert.equal(bodyParams, 3_738_336 + 54_534_144);
  } finally {
    m.dispose();
  }
});

test('vgg16 (32 px, no Sobel) and smallvgg (28 px grey, 32 px RGB) forward shapes', () => {
  const v = createModel({ arch: 'vgg16', inputSize: 32, inputChannels: 3, sobel: false, seed: 1 });
  assert.deepEqual(v.convActivations(input(1, 32, 3), 'conv13').shape, [1, 2, 2, 512]);
  assert.deepEqual(v.features(input(1, 32, 3)).shape, [1, 4096]);
  assert.equal(v.convLayerNames().length, 13);
  v.dispose();
  const s = small();
  assert.deepEqual(s.features(input(3, 28, 1)).shape, [3, 512]);
  assert.deepEqual(s.convActivations(input(3, 28, 1), 'conv5').shape, [3, 7, 7, 256]);
  assert.throws(() => s.features(input(1, 32, 1)), /expected input \[n, 28, 28, 1\]/);
  assert.throws(
    () => s.convActivations(input(1, 28, 1), 'conv9'),
    /unknown conv layer "conv9"; valid: conv1, conv2, conv3, conv4, conv5/,
  );
  s.dispose();
  const rgb = small({ inputSize: 32, inputChannels: 3, sobel: false });
  assert.deepEqual(rgb.features(input(2, 32, 3)).shape, [2, 512]);
  assert.deepEqual(rgb.namedWeights().get('fc6.weight')!.shape, [4096, 512]);
  rgb.dispose();
  assert.throws(
    () => createModel({ arch: 'alexnet', inputSize: 32, inputChannels: 3, sobel: true, seed: 0 }),
    /alexnet needs an input of at least 63 px/,
  );
});

test('initialisation is deterministic for a seed: BN gamma 1, beta 0, running mean 0, var 1', () => {
  const a = small();
  const b = small();
  const c = small({ seed: 8 });
  const wa = a.namedWeights();
  const wb = b.namedWeights();
  for (const [name, v] of wa) assert.equal(maxAbsDiff(v, wb.get(name)!), 0, name);
  assert.ok(maxAbsDiff(wa.get('conv2.weight')!, c.namedWeights().get('conv2.weight')!) > 0.01);
  assert.deepEqual([...new Set(wa.get('bn3.gamma')!.dataSync())], [1]);
  assert.deepEqual([...new Set(wa.get('bn3.beta')!.dataSync())], [0]);
  assert.deepEqual([...new Set(wa.get('bn3.runningMean')!.dataSync())], [0]);
  assert.deepEqual([...new Set(wa.get('bn3.runningVar')!.dataSync())], [1]);
  assert.equal(wa.get('bn3.runningVar')!.trainable, false);
  for (const m of [a, b, c]) m.dispose();
});

test('top layer: reset attaches N(0, 0.01) with k outputs, a new k replaces it, remove detaches it', () => {
  const m = small();
  const x = input(4, 28, 1);
  assert.equal(m.k, 0);
  assert.throws(() => m.logits(x, false), /no top layer/);
  m.resetTopLayer(1000, 5);
  assert.equal(m.k, 1000);
  const [w, b] = m.topVariables();
  assert.deepEqual(w.shape, [512, 1000]);
  assert.deepEqual(b.shape, [1000]);
  assert.ok(Math.abs(std(w).std / 0.01 - 1) < 0.01);
  assert.deepEqual(m.logits(x, false).shape, [4, 1000]);
  assert.equal(m.summary().at(-1)!.params, 512 * 1000 + 1000);
  m.resetTopLayer(10, 5);
  assert.equal(m.k, 10);
  assert.ok(w.isDisposed);
  assert.deepEqual(m.logits(x, true).shape, [4, 10]);
  assert.ok(m.namedWeights().has('top.weight'));
  assert.ok(!m.bodyVariables().includes(m.topVariables()[0]));
  m.removeTopLayer();
  assert.equal(m.k, 0);
  assert.deepEqual(m.topVariables(), []);
  assert.ok(!m.namedWeights().has('top.weight'));
  assert.equal(m.summary().at(-1)!.name, 'fc7');
  m.dispose();
});

test('eval features are deterministic; training mode differs (dropout) and leaks no tensors', () => {
  const m = small();
  m.resetTopLayer(10, 1);
  const x = input(8, 28, 1);
  m.features(x).dispose(); // warm up
  const before = tf.memory().numTensors;
  const f1 = m.features(x);
  const f2 = m.features(x);
  assert.equal(maxAbsDiff(f1, f2), 0);
  assert.ok(std(f1).std > 0);
  const e1 = m.logits(x, false);
  const e2 = m.logits(x, false);
  assert.equal(maxAbsDiff(e1, e2), 0);
  const t1 = m.logits(x, true);
  const t2 = m.logits(x, true);
  assert.ok(maxAbsDiff(t1, t2) > 1e-4, 'two training passes draw different dropout masks');
  assert.ok(maxAbsDiff(t1, e1) > 1e-4);
  tf.dispose([f1, f2, e1, e2, t1, t2]);
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});

test('a training-mode forward moves BN running statistics as PyTorch: momentum 0.1, unbiased variance', () => {
  const m = small({ sobel: false });
  m.resetTopLayer(10, 1);
  const x = tf.randomNormal([4, 28, 28, 1], 1, 1, 'float32', 11) as tf.Tensor4D; // mean 1: channel means differ
  const w = m.namedWeights();
  // conv1's output before BN, computed here on its own.
  const z = tf.add(tf.conv2d(x, w.get('conv1.weight') as tf.Tensor4D, 1, 'same'), w.get('conv1.bias')!);
  const n = 4 * 28 * 28;
  const mean = tf.mean(z, [0, 1, 2]);
  const unbiased = tf.div(tf.sum(tf.square(tf.sub(z, mean)), [0, 1, 2]), n - 1);
  m.logits(x, true).dispose();
  const rm = w.get('bn1.runningMean')!;
  const rv = w.get('bn1.runningVar')!;
  assert.ok(maxAbsDiff(rm, tf.mul(mean, 0.1)) < 1e-5, 'running mean = 0.9 * 0 + 0.1 * batch mean');
  assert.ok(maxAbsDiff(rv, tf.add(0.9, tf.mul(unbiased, 0.1))) < 1e-5, 'running var = 0.9 * 1 + 0.1 * unbiased var');
  assert.ok(std(mean).std > 0.05, `the check is not trivial: ${std(mean).std}`);
  const rm1 = rm.clone();
  const rv1 = rv.clone();
  m.logits(x, true).dispose(); // same batch again: conv1 is unchanged, so the same batch statistics
  assert.ok(maxAbsDiff(rm, tf.add(tf.mul(rm1, 0.9), tf.mul(mean, 0.1))) < 1e-5);
  assert.ok(maxAbsDiff(rv, tf.add(tf.mul(rv1, 0.9), tf.mul(unbiased, 0.1))) < 1e-5);
  // Eval passes leave them alone.
  m.features(x).dispose();
  m.logits(x, false).dispose();
  assert.ok(maxAbsDiff(rm, tf.add(tf.mul(rm1, 0.9), tf.mul(mean, 0.1))) < 1e-5);
  m.dispose();
});

test('namedWeights -> loadWeights round trip gives identical features and logits', () => {
  const a = small();
  a.resetTopLayer(12, 4);
  const x = input(4, 28, 1);
  a.logits(x, true).dispose(); // non-trivial running statistics
  const saved = new Map([...a.namedWeights()].map(([k, v]) => [k, v.clone() as tf.Tensor]));
  assert.deepEqual([...saved.keys()].slice(0, 8), [
    'sobel.weight',
    'conv1.weight',
    'conv1.bias',
    'bn1.gamma',
    'bn1.beta',
    'bn1.runningMean',
    'bn1.runningVar',
    'conv2.weight',
  ]);
  assert.deepEqual([...saved.keys()].slice(-6), [
    'fc6.weight',
    'fc6.bias',
    'fc7.weight',
    'fc7.bias',
    'top.weight',
    'top.bias',
  ]);
  const b = small({ seed: 99 });
  assert.ok(maxAbsDiff(a.features(x), b.features(x)) > 1e-3);
  b.loadWeights(saved);
  tf.dispose([...saved.values()]); // the model keeps its own references
  assert.equal(b.k, 12);
  assert.equal(maxAbsDiff(a.features(x), b.features(x)), 0);
  assert.equal(maxAbsDiff(a.logits(x, false), b.logits(x, false)), 0);

  const w = new Map([...a.namedWeights()].map(([k, v]) => [k, v as tf.Tensor]));
  assert.throws(() => b.loadWeights(new Map([...w, ['conv9.weight', tf.zeros([1])]])), /unknown weight "conv9.weight"/);
  assert.throws(
    () => b.loadWeights(new Map([...w, ['fc7.bias', tf.zeros([3])]])),
    /fc7.bias has shape \[3\], expected \[512\]/,
  );
  const missing = new Map(w);
  missing.delete('bn2.runningVar');
  assert.throws(() => b.loadWeights(missing), /missing bn2.runningVar/);
  const noTop = new Map(w);
  noTop.delete('top.weight');
  noTop.delete('top.bias');
  noTop.delete('sobel.weight'); // fixed, so optional
  b.loadWeights(noTop);
  assert.equal(b.k, 12, 'a load without top.* keeps the current top layer');
  a.dispose();
  b.dispose();
});

test('gradients reach every body and top variable (cpu backend, tiny input)', async () => {
  await tf.setBackend('cpu');
  try {
    const m = small({ inputSize: 8 });
    m.resetTopLayer(3, 1);
    const x = input(2, 8, 1);
    const vars = [...m.bodyVariables(), ...m.topVariables()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(m.logits(x, true))) as tf.Scalar, vars);
    for (const v of vars) {
      const g = grads[v.name];
      assert.deepEqual(g.shape, v.shape);
    }
    assert.ok(tf.max(tf.abs(grads[m.namedWeights().get('conv1.weight')!.name])).dataSync()[0] > 0);
    assert.equal(Object.keys(grads).length, vars.length, 'no gradient for Sobel or running statistics');
    m.dispose();
  } finally {
    await tf.setBackend('wasm');
  }
});
