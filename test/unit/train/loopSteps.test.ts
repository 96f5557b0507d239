import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { StepRecord } from '../../../src/trainer/run/stepScalars';
import { trainOnPseudoLabels, type LoopDeps } from '../../../src/trainer/train/loop';
import { parseArgs, type ParsedTrain } from '../../../src/trainer/cli/args';

test('trainOnPseudoLabels reports every step to deps.steps with a global step that is the same on resume', async () => {
  await tf.setBackend('cpu');
  const config = { ...(parseArgs(['train', '--k', '3', '--epochs', '4', '--batch-size', '4']) as ParsedTrain).config };
  const calls: string[] = [];
  const records: StepRecord[] = [];
  let losses = 0;
  const deps = {
    config,
    model: { resetTopLayer: () => undefined, setDropoutSeed: () => undefined },
    data: { size: 10, trainBatch: async (idx: Int32Array) => tf.zeros([idx.length, 2, 2, 1]) as tf.Tensor4D },
    sample: () => ({ indices: Int32Array.from({ length: 10 }, (_, i) => i), labels: new Int32Array(10) }),
    newTopOptimizer: () => undefined,
    step: async () => 1 + losses++,
    emitPhase: () => undefined,
    shouldStop: () => false,
    steps: { begin: () => calls.push('begin'), record: (r: StepRecord) => (calls.push('record'), records.push(r)), flush: () => calls.push('flush') },
  } as unknown as LoopDeps;
  const clustering = { assignments: new Int32Array(10), k: 3 };
  const mean = await trainOnPseudoLabels(deps, clustering, 2);
  assert.deepEqual(calls, ['begin', 'record', 'record', 'record', 'flush']);
  // 10 images in batches of 4: 3 steps an epoch, so epoch 2 holds global steps 7, 8, 9.
  assert.deepEqual(records.map((r) => [r.epoch, r.step, r.loss, r.images, r.epochFraction, r.lr]), [
    [2, 7, 1, 4, 0.4, config.lr],
    [2, 8, 2, 4, 0.8, config.lr],
    [2, 9, 3, 2, 1, config.lr],
  ]);
  assert.equal(mean, (1 * 4 + 2 * 4 + 3 * 2) / 10);
  // Without deps.steps the loop runs as before.
  await trainOnPseudoLabels({ ...deps, steps: undefined }, clustering, 0);
  assert.equal(records.length, 3);
});
