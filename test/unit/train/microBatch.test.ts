import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSummary } from '../../../src/trainer/model/types';
import { stepMemoryEstimate, wasmMicroBatch } from '../../../src/trainer/train/microBatch';

const row = (outputShape: number[], params = 0): LayerSummary => ({
  name: 'l',
  kind: 'conv',
  outputShape,
  params,
  trainable: true,
});

test('micro-batch splits the batch into the fewest equal slices that fit the wasm heap budget', () => {
  // 1 Mi floats of activations per image: 4 MiB x factor 3 = 12 MiB per image.
  const summary = [row([1024, 1024])];
  assert.equal(stepMemoryEstimate(summary).perImage, 12 * 2 ** 20);
  const budget = 600 * 2 ** 20; // fits 50 images
  assert.equal(wasmMicroBatch(summary, 32, budget), 32);
  assert.equal(wasmMicroBatch(summary, 256, budget), 43); // 6 slices of <= 43
  assert.equal(wasmMicroBatch(summary, 100, budget), 50);
});

test('parameters count against the budget, and a model that cannot fit one image is an error', () => {
  const summary = [row([1024, 1024], 40 * 2 ** 20)]; // 40 Mi params -> 800 MiB fixed
  assert.equal(wasmMicroBatch(summary, 256, 920 * 2 ** 20), 10);
  assert.throws(() => wasmMicroBatch(summary, 256, 810 * 2 ** 20), /wasm backend's heap is limited to 4 GiB/);
});
