// Disposing a model, a projection head or an optimizer frees every tensor and buffer it made: a variable used to
// keep its initial tensor alive beside it (ownedVariable.ts), 35 tensors per smallvgg, more per sharded layer.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createModel, type ModelOptions } from '../../../src/trainer/model';
import { ProjectionHead } from '../../../src/trainer/model/projectionHead';
import { bodyOptimizer } from '../../../src/trainer/train/sgd';
import { useBackend } from '../engine-wasm/backends';

before(() => useBackend('wasm'));

function leftBehind(make: () => { dispose(): void }): { tensors: number; buffers: number } {
  const t0 = tf.memory().numTensors;
  const b0 = tf.engine().backend.numDataIds();
  make().dispose();
  return { tensors: tf.memory().numTensors - t0, buffers: tf.engine().backend.numDataIds() - b0 };
}

const none = { tensors: 0, buffers: 0 };

test('a disposed model leaves no tensor: smallvgg, alexnet with sharded dense layers, the ResNet', () => {
  const cases: Array<[ModelOptions, number | undefined]> = [
    [{ arch: 'smallvgg', inputSize: 28, inputChannels: 1, sobel: true, seed: 1 }, undefined],
    // fc6 (9216 -> 4096 at 224 px; 1024 -> 4096 at 63 px) in 1 MiB shards.
    [{ arch: 'alexnet', inputSize: 63, inputChannels: 3, sobel: true, seed: 2 }, 1 << 20],
    [{ arch: 'resnet', inputSize: 32, inputChannels: 3, sobel: false, seed: 3 }, undefined],
  ];
  for (const [options, maxBindingBytes] of cases) {
    const left = leftBehind(() => {
      const m = createModel(options, { maxBindingBytes });
      m.resetTopLayer(10, 4);
      return m;
    });
    assert.deepEqual(left, none, `${options.arch}`);
  }
});

test('a disposed projection head and a disposed model with its momentum buffers leave nothing', () => {
  assert.deepEqual(
    leftBehind(() => new ProjectionHead({ inputDim: 32, hiddenDim: 16, outputDim: 8, prototypes: [5, 7], seed: 1 })),
    none,
  );
  const left = leftBehind(() => {
    const m = createModel({ arch: 'smallvgg', inputSize: 16, inputChannels: 1, sobel: false, seed: 4 });
    const sgd = bodyOptimizer(m, { lr: 0.1, momentum: 0.9, weightDecay: 1e-5 });
    const x = tf.randomNormal([2, 16, 16, 1]) as tf.Tensor4D;
    const { value, grads } = tf.variableGrads(() => tf.sum(m.features(x)) as tf.Scalar, sgd.variables());
    sgd.step(sgd.variables().map((v) => grads[v.name]));
    const state = sgd.exportState();
    assert.ok(state.size > 0, 'the step made momentum buffers');
    tf.dispose([...state.values()]);
    tf.dispose([x, value, ...Object.values(grads)]);
    return { dispose: () => (sgd.dispose(), m.dispose()) };
  });
  assert.deepEqual(left, none);
});
