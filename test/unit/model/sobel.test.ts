// The frozen Sobel front end on a small image with hand-computed values.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { sobel, sobelFilter } from '../../../src/trainer/model/sobel';
import { createModel } from '../../../src/trainer/model';
import { useWasm } from './wasm';

before(useWasm);

// A 4x4 ramp (value 4r + c + 1) with one pixel zeroed, so that no two outputs come from symmetry alone.
const image = [
  [1, 2, 3, 4],
  [5, 6, 0, 8],
  [9, 10, 11, 12],
  [13, 14, 15, 16],
];
// out[r][c] = sum_ij kernel[i][j] * x[r+i-1][c+j-1], zero padding 1; worked out by hand (and checked with numpy).
const horizontal = [
  [-10, 1, -6, 6],
  [-24, 6, -8, 14],
  [-40, -1, -8, 37],
  [-38, -6, -6, 41],
];
const vertical = [
  [-16, -17, -14, -16],
  [-24, -32, -32, -24],
  [-24, -39, -46, -31],
  [28, 40, 44, 35],
];

test('Sobel on a grey image gives the hand-computed horizontal and vertical gradients', () => {
  const x = tf.tensor4d(image.flat(), [1, 4, 4, 1]);
  const y = sobel(x, sobelFilter()).arraySync()[0];
  assert.deepEqual(
    y.map((r) => r.map((p) => Math.round(p[0] * 1e4) / 1e4)),
    horizontal,
  );
  assert.deepEqual(
    y.map((r) => r.map((p) => Math.round(p[1] * 1e4) / 1e4)),
    vertical,
  );
});

test('Sobel on RGB first takes the mean of the channels', () => {
  // Channels (v - 1, v, v + 4): their mean is v + 1, and a constant offset vanishes only in the interior.
  const rgb = tf.tensor4d(
    image.flat().flatMap((v) => [v - 1, v, v + 4]),
    [1, 4, 4, 3],
  );
  const grey = tf.tensor4d(
    image.flat().map((v) => v + 1),
    [1, 4, 4, 1],
  );
  assert.deepEqual(sobel(rgb, sobelFilter()).arraySync(), sobel(grey, sobelFilter()).arraySync());
});

test('the Sobel layer is frozen: not in bodyVariables, not trainable, and conv1 sees 2 channels', () => {
  const m = createModel({ arch: 'smallvgg', inputSize: 28, inputChannels: 3, sobel: true, seed: 1 });
  const w = m.namedWeights();
  const s = w.get('sobel.weight')!;
  assert.equal(s.trainable, false);
  assert.ok(!m.bodyVariables().includes(s));
  assert.deepEqual(w.get('conv1.weight')!.shape, [3, 3, 2, 64]);
  assert.deepEqual([...s.dataSync()], [1, 1, 0, 2, -1, 1, 2, 0, 0, 0, -2, 0, 1, -1, 0, -2, -1, -1]);
  m.dispose();
});
