// Dense layers split into column shards (for webgpu's binding limit): the shard plan, the same network as a whole
// one, and checkpoints that hold whole layers whichever way the run held them (wasm; no GPU needed).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../../src/trainer/engine';
import { createModel, type ConvNet } from '../../../src/trainer/model';
import { mergeShards, shardWidths } from '../../../src/trainer/model/denseShards';
import { loadCheckpoint, saveCheckpoint } from '../../../src/trainer/run/checkpoint';
import { bodyOptimizer, topOptimizer, type Sgd } from '../../../src/trainer/train/sgd';
import { trainStep } from '../../../src/trainer/train/step';
import { fakeMetrics, tempDir } from '../run/fixture';
import { maxAbsDiff } from './wasm';

before(() => initEngine('wasm'));

const MiB = 2 ** 20;

test('the shard plan: whole when it fits, else even column blocks each within the limit', () => {
  assert.deepEqual(shardWidths(9216, 4096, undefined), [4096]);
  assert.deepEqual(shardWidths(9216, 4096, 2 ** 31), [4096]);
  // AlexNet's fc6 at 224 px on lavapipe's 128 MiB: 144 MiB in two 72 MiB halves.
  assert.deepEqual(shardWidths(9216, 4096, 128 * MiB), [2048, 2048]);
  // VGG16's fc6 (25088 x 4096, 392 MiB): 4 shards of 98 MiB.
  assert.deepEqual(shardWidths(25088, 4096, 128 * MiB), [1024, 1024, 1024, 1024]);
  const odd = shardWidths(1000, 4096, 6 * MiB);
  assert.equal(
    odd.reduce((a, b) => a + b, 0),
    4096,
  );
  assert.ok(Math.max(...odd) - Math.min(...odd) <= 1, `uneven: ${odd}`);
  assert.ok(odd.every((w) => 4 * 1000 * w <= 6 * MiB));
  assert.deepEqual(shardWidths(4, 4, 64), [4], 'exactly the limit fits');
  assert.throws(() => shardWidths(1000, 8, 3999), /1000 inputs needs 4000 bytes a column, over 3999/);
});

// smallvgg at 28 px: fc6 2304 x 512 (4.5 MiB) in 5 shards, fc7 512 x 512 in 2, the top 512 x 600 in 2.
const LIMIT = 1_000_000;
const K = 600;
const options = { arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 7 } as const;

function trained(limit: number | undefined): { model: ConvNet; body: Sgd } {
  const model = createModel(options, { maxBindingBytes: limit });
  model.resetTopLayer(K, 11);
  return { model, body: bodyOptimizer(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }) };
}

async function steps(m: { model: ConvNet; body: Sgd }, n: number): Promise<number[]> {
  const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1, 2, 599], 'int32');
  const top = topOptimizer(m.model, { lr: 0.05, weightDecay: 1e-4 });
  const losses: number[] = [];
  for (let i = 0; i < n; i++) losses.push(await trainStep(m.model, x, labels, { body: m.body, top }));
  tf.dispose([x, labels]);
  return losses;
}

test('a sharded model is the whole one: same initial weights, same training steps', async () => {
  const whole = trained(undefined);
  const split = trained(LIMIT);
  const names = [...split.model.namedWeights().keys()];
  assert.ok(names.includes('fc6.weight[0:103]') && names.includes('fc6.bias[410:512]'), names.join(' '));
  assert.ok(names.includes('fc7.weight[256:512]') && names.includes('top.weight[300:600]'));
  assert.ok(!names.includes('fc6.weight'));
  for (const [name, v] of split.model.namedWeights())
    if (/^(fc|top)/.test(name)) assert.ok(4 * v.size <= LIMIT, `${name} [${v.shape}] over the limit`);
  assert.equal(split.model.k, K);
  assert.deepEqual(split.model.summary(), whole.model.summary());

  const { merged, created } = await mergeShards(split.model.namedWeights());
  for (const [name, w] of whole.model.namedWeights()) assert.equal(maxAbsDiff(w, merged.get(name)!), 0, name);
  tf.dispose(created);

  const a = await steps(whole, 3);
  const b = await steps(split, 3);
  assert.notEqual(a[0], a[2], 'the steps changed the weights');
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5, `step ${i}: ${a[i]} vs ${b[i]}`);
  const after = await mergeShards(split.model.namedWeights());
  for (const [name, w] of whole.model.namedWeights())
    assert.ok(maxAbsDiff(w, after.merged.get(name)!) <= 1e-5, `${name} after 3 steps`);
  tf.dispose(after.created);
  for (const m of [whole, split]) {
    m.body.dispose();
    m.model.dispose();
  }
});

test('a checkpoint holds whole layers; it loads into a sharded model and a whole one alike', async () => {
  const split = trained(LIMIT);
  await steps(split, 2);
  const momentum = split.body.exportState();
  assert.ok(momentum.has('momentum/fc6.weight[0:103]'));
  const run = await tempDir();
  const ref = await saveCheckpoint(run, {
    epoch: 0,
    arch: options.arch,
    modelOptions: { ...split.model.options },
    weights: split.model.namedWeights(),
    optimizer: { state: momentum, config: { ...split.body.options } },
    assignments: new Int32Array([0, 1, 2, 599]),
    k: K,
    metrics: fakeMetrics(0),
  });
  const back = await loadCheckpoint(ref.dir);
  assert.deepEqual(back.weights.get('fc6.weight')!.shape, [2304, 512]);
  assert.deepEqual(back.weights.get('top.bias')!.shape, [K]);
  assert.ok(![...back.weights.keys(), ...back.optimizer!.state.keys()].some((n) => n.includes('[')));
  assert.deepEqual(back.optimizer!.state.get('momentum/fc7.weight')!.shape, [512, 512]);

  const expected = await mergeShards(split.model.namedWeights());
  const expectedMomentum = await mergeShards(momentum);
  for (const limit of [undefined, LIMIT, 300_000]) {
    const m = trained(limit);
    m.model.loadWeights(back.weights);
    m.body.importState(back.optimizer!.state);
    const got = await mergeShards(m.model.namedWeights());
    for (const [name, w] of expected.merged) assert.equal(maxAbsDiff(w, got.merged.get(name)!), 0, `${limit} ${name}`);
    const gotMomentum = await mergeShards(m.body.exportState());
    assert.equal(gotMomentum.merged.size, expectedMomentum.merged.size);
    for (const [name, v] of expectedMomentum.merged)
      assert.equal(maxAbsDiff(v, gotMomentum.merged.get(name)!), 0, `${limit} ${name}`);
    tf.dispose([...got.created, ...gotMomentum.created, ...gotMomentum.merged.values()]);
    m.body.dispose();
    m.model.dispose();
  }
  tf.dispose([...expected.created, ...expectedMomentum.created, ...momentum.values()]);
  tf.dispose([...back.weights.values(), ...back.optimizer!.state.values()]);
  split.body.dispose();
  split.model.dispose();
});
