// Weight initialisation of the official `_initialize_weights`, seeded so that a seed gives the same network.
import * as tf from '@tensorflow/tfjs-core';

/** A per-tensor seed from the model seed and a stable name, so adding a layer does not reshuffle the others. */
export function tensorSeed(seed: number, name: string): number {
  // FNV-1a over the seed and the name; 32-bit, positive.
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${name}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Conv weight [kh, kw, in, out] ~ N(0, 2/n), n = kh*kw*out: He init on the fan-out, as the official code. */
export function heFanOutConvWeight(
  kh: number,
  kw: number,
  inChannels: number,
  outChannels: number,
  seed: number,
): tf.Tensor4D {
  const std = Math.sqrt(2 / (kh * kw * outChannels));
  return tf.randomNormal([kh, kw, inChannels, outChannels], 0, std, 'float32', seed);
}

/** Linear weight [in, out] ~ N(0, 0.01^2), as every Linear (fc6, fc7, the top layer) in the official code. */
export function linearWeight(inUnits: number, outUnits: number, seed: number): tf.Tensor2D {
  return tf.randomNormal([inUnits, outUnits], 0, 0.01, 'float32', seed);
}
