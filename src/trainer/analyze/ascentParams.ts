// Gradient-ascent settings: the official defaults (visu/gradient_ascent.py) and how they carry over to small
// inputs.
//
// The official procedure works on a 224x224x3 image in raw pixel units (noise 128 +- 20) and takes normalised
// gradient steps: x <- x + lr * g / ||g||. A step's L2 length is lr over the whole image, so what a pixel feels is
// lr / sqrt(224*224*3). We keep that per-pixel step: at N = S*S*C values the step length is
// lr * sqrt(N / (224*224*3)) (at 28x28x1: lr * 0.072). Everything else is per pixel already and stays as is:
// noise 128 +- 20, weight decay 1e-5 on raw pixels, blur sigma 0.3 px every 5 iterations.
//
// Defaults: lr 30 and 300 iterations. The official default (lr 3, 1000 iterations) moves a pixel at most
// 7.7 grey levels in total, and the README's advice for trained layers (conv5: lr 30, 3000 iterations; conv1:
// lr 3, 30 000) keeps lr x iterations = 90 000. We keep 9 000 (one tenth), which at 28 px is where the images
// stop changing visibly (measured on smallvgg: the target activation saturates after ~200 steps).
import type { AscentParams } from '../../protocol/analysis';

export const OFFICIAL_ASCENT: AscentParams = { lr: 3, wd: 1e-5, sigma: 0.3, blurEvery: 5, iterations: 1000, seed: 31 };
export const DEFAULT_ASCENT: AscentParams = { ...OFFICIAL_ASCENT, lr: 30, iterations: 300 };

/** Values of the official 224x224x3 input. */
export const OFFICIAL_INPUT_VALUES = 224 * 224 * 3;

/** L2 length of one step for an input of `values` numbers, keeping the official per-pixel step of `lr`. */
export function stepLength(lr: number, values: number): number {
  return lr * Math.sqrt(values / OFFICIAL_INPUT_VALUES);
}
