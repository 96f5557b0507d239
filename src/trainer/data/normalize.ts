// Per-channel normalisation, x = (pixel / 255 - mean[c]) / std[c], as torchvision's ToTensor + Normalize.
import * as tf from '@tensorflow/tfjs-core';
import type { Normalization } from './types';

/** The peer's constants for Fashion-MNIST (its train split statistics). */
export const FASHION_MNIST: Normalization = { mean: [0.286], std: [0.353], source: 'fashion-mnist' };
/** The official DeepCluster code's constants for RGB image folders (ImageNet statistics). */
export const IMAGENET: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], source: 'imagenet' };

/** Running per-channel sums over uint8 rows; exact (integers far below 2^53), so no sampling is needed. */
export class ChannelStats {
  private readonly sum: number[];
  private readonly sumSq: number[];
  private pixels = 0;
  constructor(readonly channels: number) {
    this.sum = new Array(channels).fill(0);
    this.sumSq = new Array(channels).fill(0);
  }
  add(rows: Uint8Array): void {
    const c = this.channels;
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      let q = 0;
      for (let i = ch; i < rows.length; i += c) {
        const v = rows[i];
        s += v;
        q += v * v;
      }
      this.sum[ch] += s;
      this.sumSq[ch] += q;
    }
    this.pixels += rows.length / c;
  }
  /** Mean and (population) std on the [0, 1] scale, for channels `pick` (default all). */
  result(pick: number[] = [...Array(this.channels).keys()]): Normalization {
    const n = Math.max(1, this.pixels);
    const mean = pick.map((c) => this.sum[c] / n / 255);
    const std = pick.map((c, i) => Math.max(1e-3, Math.sqrt(Math.max(0, this.sumSq[c] / n / 65025 - mean[i] ** 2))));
    return { mean, std, source: 'computed' };
  }
}

/**
 * Which constants a dataset uses: Fashion-MNIST's (recognised by "fashion" in its path, as in Debian's and
 * the bundled folder name) to match the peer exactly; ImageNet's for RGB image folders, as the official code;
 * otherwise the statistics computed over every cached image (MNIST, CIFAR, grey folders...).
 */
export function chooseNormalization(
  kind: string,
  path: string,
  channels: number,
  computed: Normalization,
): Normalization {
  if ((kind === 'idx' || kind === 'sample') && channels === 1 && /fashion/i.test(path)) return FASHION_MNIST;
  if (kind === 'folder' && channels === 3) return IMAGENET;
  return computed;
}

/** n x S x S x C uint8 -> normalised float32 NHWC tensor, through a 256-entry table per channel. */
export function toTensorBatch(
  u8: Uint8Array,
  n: number,
  size: number,
  channels: number,
  norm: Normalization,
): tf.Tensor4D {
  if (u8.length !== n * size * size * channels)
    throw new RangeError(`batch has ${u8.length} bytes, expected ${n}x${size}x${size}x${channels}`);
  const tables = norm.mean
    .slice(0, channels)
    .map((m, c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - m) / norm.std[c]));
  const out = new Float32Array(u8.length);
  if (channels === 1) {
    const t0 = tables[0];
    for (let i = 0; i < u8.length; i++) out[i] = t0[u8[i]];
  } else if (channels === 3) {
    const [t0, t1, t2] = tables;
    for (let i = 0; i < u8.length; i += 3) {
      out[i] = t0[u8[i]];
      out[i + 1] = t1[u8[i + 1]];
      out[i + 2] = t2[u8[i + 2]];
    }
  } else {
    for (let i = 0; i < u8.length; i++) out[i] = tables[i % channels][u8[i]];
  }
  return tf.tensor4d(out, [n, size, size, channels], 'float32');
}
