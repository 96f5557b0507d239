// scipy.ndimage.gaussian_filter on the spatial axes only (the official visualisation's periodic blur): a
// separable kernel of radius round(4 sigma), normalised, with scipy's default 'reflect' boundary (d c b a | a b c d),
// which is TF's 'symmetric' mirror padding.
import * as tf from '@tensorflow/tfjs-core';

/** scipy's 1-D Gaussian weights (truncate = 4). */
export function gaussianKernel1d(sigma: number, truncate = 4): number[] {
  const radius = Math.floor(truncate * sigma + 0.5);
  const w = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-0.5 * ((i - radius) / sigma) ** 2));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/** Blur each channel of an NHWC batch along height and width. */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const k = gaussianKernel1d(sigma);
  const r = (k.length - 1) / 2;
  if (r === 0) return x.clone();
  const c = x.shape[3];
  return tf.tidy(() => {
    // Depthwise filters [kh, kw, C, 1]: the same 1-D kernel for every channel, first along h, then along w.
    const alongH = tf.tile(tf.tensor4d(k, [k.length, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const alongW = tf.tile(tf.tensor4d(k, [1, k.length, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    // Mirror padding needs r < size; a 1-px image has nothing to blur against.
    const pad = Math.min(r, x.shape[1] - 1, x.shape[2] - 1);
    if (pad < r) return x.clone();
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [r, r],
        [r, r],
        [0, 0],
      ],
      'symmetric',
    );
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, alongH, 1, 'valid'), alongW, 1, 'valid');
  });
}
