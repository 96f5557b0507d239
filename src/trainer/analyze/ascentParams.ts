// Gradient-ascent settings: the official defaults (visu/gradient_ascent.py) and how they carry over to small
// inputs.
//
// The official procedure works on a 224x224x3 image in raw pixel units (noise 128 +- 20) and takes normalised
// gradient steps: x <- x + lr * g / ||g||. A step's L2 length is lr over the whole image, so what a pixel feels is
// lr / sqrt(224*224*3). We keep that per-pixel step: at N = S*S*C values the step length is
// lr * sqrt(N / (224*224*3)) (at 28x28x1: lr * 0.072). Everything else is per pixel already and stays as is:
// noise 128 +- 20, blur sigma 0.3 px every 5 iterations, weight decay 1e-5 on the image the network sees.
// One deliberate difference: the official code feeds the raw 0-255 image to a network trained on normalised
// ones (ToTensor does not rescale float arrays); we normalise it as in training, so the network sees inputs of
// its training range and the weight decay pulls towards the dataset mean instead of black.
//
// Defaults: lr 900 and 100 iterations. The official default (lr 3, 1000 iterations) moves a pixel at most
// 7.7 grey levels in total, too little to leave the starting noise; the README's advice for trained networks
// (conv5: lr 30 x 3000 iterations; conv1: lr 3 x 30 000) keeps lr x iterations = 90 000, a travel of up to
// ~230 grey levels per pixel. We keep that product with fewer, longer steps. Measured on a smallvgg at 28 px
// (conv3, 16 filters): lr 30 x 300 raised the mean activation 2-20x but left mostly noise; lr 300 x 300 and
// lr 900 x 100 gave the same oriented patterns and activations 4-100x the start, the latter in a third of the time.
import type { AscentParams } from '../../protocol/analysis';

export const OFFICIAL_ASCENT: AscentParams = { lr: 3, wd: 1e-5, sigma: 0.3, blurEvery: 5, iterations: 1000, seed: 31 };
export const DEFAULT_ASCENT: AscentParams = { ...OFFICIAL_ASCENT, lr: 900, iterations: 100 };

/** Values of the official 224x224x3 input. */
export const OFFICIAL_INPUT_VALUES = 224 * 224 * 3;

/** L2 length of one step for an input of `values` numbers, keeping the official per-pixel step of `lr`. */
export function stepLength(lr: number, values: number): number {
  return lr * Math.sqrt(values / OFFICIAL_INPUT_VALUES);
}
