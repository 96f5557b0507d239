// The frozen Sobel front end (`--sobel`): grayscale, then the horizontal and vertical Sobel gradients.
// Applied to the already normalised input; never trained, never weight-decayed.
import * as tf from '@tensorflow/tfjs-core';

/** Cross-correlation kernels (no flip), channel 0 horizontal gradient, channel 1 vertical. */
export const SOBEL_KERNELS: readonly (readonly number[][])[] = [
  [
    [1, 0, -1],
    [2, 0, -2],
    [1, 0, -1],
  ],
  [
    [1, 2, 1],
    [0, 0, 0],
    [-1, -2, -1],
  ],
];

/** The two kernels as one conv filter [3, 3, 1, 2]. */
export function sobelFilter(): tf.Tensor4D {
  const values: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) values.push(SOBEL_KERNELS[0][i][j], SOBEL_KERNELS[1][i][j]);
  return tf.tensor4d(values, [3, 3, 1, 2]);
}

/** Grayscale as the official 1x1 conv with weights 1/3: the mean of the channels; identity for grey input. */
export function grayscale(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[3] === 1 ? x : tf.mean(x, 3, true);
}

/** [n, h, w, c] -> [n, h, w, 2]: Sobel filters with padding 1 (for a 3x3 kernel at stride 1 that is 'same'). */
export function sobel(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.conv2d(grayscale(x), filter, 1, 'same'));
}
