import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { StepRecord } from '../../../src/trainer/run/stepScalars';
import type { ConvNet } from '../../../src/trainer/model/types';
import { freshTopLayer, train, type PaperRun } from '../../../src/trainer/train/paper/loop';
import { bodyOptimizer } from '../../../src/trainer/train/sgd';
import { parseArgs, type ParsedTrain } from '../../../src/trainer/cli/args';

test("the paper loop's training phase reports every step to progress.steps, with a global step that is the same on resume", async () => {
  await tf.setBackend('cpu');
  const config = {
    ...(
      parseArgs([
        'train',
        '--recipe',
        'paper',
        '--k',
        '3',
        '--epochs',
        '4',
        '--batch-size',
        '4',
        '--input-size',
        '2',
      ]) as ParsedTrain
    ).config,
  };
  const model = tinyNet();
  const body = bodyOptimizer(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  const calls: string[] = [];
  const records: StepRecord[] = [];
  const progress = {
    phase: () => undefined,
    shouldStop: () => false,
    steps: {
      begin: () => calls.push('begin'),
      record: (r: StepRecord) => (calls.push('record'), records.push(r)),
      flush: () => calls.push('flush'),
    },
  };
  const run = {
    config,
    model,
    dataset: {
      size: 10,
      trainBatch: async (idx: Int32Array) => tf.randomNormal([idx.length, 2, 2, 1], 0, 1, 'float32', 7) as tf.Tensor4D,
    },
    body,
    progress,
  } as unknown as PaperRun;
  const pseudo = {
    indices: Int32Array.from({ length: 10 }, (_, i) => i),
    labels: Int32Array.from({ length: 10 }, (_, i) => i % 3),
  };
  const top = freshTopLayer(run, 3, 2);
  const mean = await train(run, pseudo, top, 2);
  assert.deepEqual(calls, ['begin', 'record', 'record', 'record', 'flush']);
  // 10 images in batches of 4: 3 steps an epoch, so epoch 2 holds global steps 7, 8, 9.
  assert.deepEqual(
    records.map((r) => [r.epoch, r.step, r.images, r.epochFraction, r.lr]),
    [
      [2, 7, 4, 0.4, config.lr],
      [2, 8, 4, 0.8, config.lr],
      [2, 9, 2, 1, config.lr],
    ],
  );
  assert.ok(records.every((r) => Number.isFinite(r.loss) && r.loss > 0));
  const weighted = (records[0]!.loss * 4 + records[1]!.loss * 4 + records[2]!.loss * 2) / 10;
  assert.ok(
    Math.abs(mean - weighted) < 1e-6,
    `the epoch's loss is the image-weighted mean of its steps (${mean} vs ${weighted})`,
  );
  // Without progress.steps the loop runs as before.
  await train({ ...run, progress: { ...progress, steps: undefined } }, pseudo, top, 0);
  assert.equal(records.length, 3);
  top.dispose();
  body.dispose();
  model.dispose();
});

/** A two-layer linear net with the ConvNet surface the training phase uses: real gradients, no convolutions. */
function tinyNet(): ConvNet {
  const body = tf.variable(tf.randomNormal([4, 4], 0, 0.5, 'float32', 1), true, 'body/w');
  let top = tf.variable(tf.zeros([4, 1]), true, 'top/w');
  const net = {
    logits: (x: tf.Tensor4D) => tf.matMul(tf.relu(tf.matMul(tf.reshape(x, [x.shape[0], 4]), body)), top),
    bodyVariables: () => [body],
    topVariables: () => [top],
    namedWeights: () =>
      new Map<string, tf.Variable>([
        ['body.w', body],
        ['top.w', top],
      ]),
    resetTopLayer: (k: number, seed: number) => {
      top.dispose();
      top = tf.variable(tf.randomNormal([4, k], 0, 0.5, 'float32', seed % 1000), true, `top/w${seed}`);
    },
    setDropoutSeed: () => undefined,
    dispose: () => tf.dispose([body, top]),
  };
  return net as unknown as ConvNet;
}
