// DeepCluster-v2's multi-crop views, on the uint8 cache (reproducible from the seeded `random` the loop passes):
// every image gives `large.count` crops at the input size and `small.count` crops at a smaller size, each a
// random resized crop (scale range per crop kind, aspect 3/4-4/3) of the cached S x S image, mirrored with
// probability 1/2, then colour-distorted as swav's multicropdataset: with p 0.8 brightness, contrast and (RGB)
// saturation jitter of strength `jitter`; with p 0.2 grayscale (RGB); with p 0.5 a Gaussian blur (only at 64 px
// and more: at 28 px a blur erases what little detail there is).
import * as tf from '@tensorflow/tfjs-core';
import { bilinearAxis, randomResizedCropBox, type CropBox } from './augment';
import type { Normalization } from './types';

export interface CropKind {
  size: number;
  count: number;
  scale: [number, number];
}

export interface MultiCropOptions {
  large: CropKind;
  small: CropKind;
  /** Colour jitter strength s (brightness/contrast/saturation factors in [1 - 0.8 s, 1 + 0.8 s]). */
  jitter: number;
}

/** The recipe's crops for an input size: 2 large at S, and smaller ones at about 4/7 S (swav: 96 of 224 px). */
export function multiCropFor(inputSize: number, smallCount: number): MultiCropOptions {
  return {
    large: { size: inputSize, count: 2, scale: [0.3, 1] },
    small: { size: Math.max(8, 2 * Math.round((inputSize * 4) / 14)), count: smallCount, scale: [0.1, 0.3] },
    jitter: 0.5,
  };
}

export interface MultiCropBatch {
  /** [large.count * n, S, S, C]: crop 0 of every image, then crop 1, ... (the bank reads crops 0 and 1). */
  large: tf.Tensor4D;
  /** [small.count * n, s, s, C], or undefined without small crops. */
  small?: tf.Tensor4D;
}

export function multiCropBatch(
  src: Uint8Array,
  n: number,
  size: number,
  channels: number,
  norm: Normalization,
  opts: MultiCropOptions,
  random: () => number,
): MultiCropBatch {
  const row = size * size * channels;
  if (src.length !== n * row)
    throw new RangeError(`batch has ${src.length} bytes, expected ${n}x${size}x${size}x${channels}`);
  const views = (kind: CropKind) => {
    const s = kind.size;
    const out = new Float32Array(kind.count * n * s * s * channels);
    for (let v = 0; v < kind.count; v++) {
      for (let i = 0; i < n; i++) {
        const target = out.subarray((v * n + i) * s * s * channels, (v * n + i + 1) * s * s * channels);
        const box = randomResizedCropBox(size, kind.scale, [3 / 4, 4 / 3], random);
        resizeCrop(src.subarray(i * row, (i + 1) * row), size, channels, box, target, s, random() < 0.5);
        distort(target, s, channels, opts.jitter, random);
        normalizeInPlace(target, channels, norm);
      }
    }
    return tf.tensor4d(out, [kind.count * n, s, s, channels]);
  };
  return { large: views(opts.large), small: opts.small.count > 0 ? views(opts.small) : undefined };
}

/** Bilinear resize of `box` of a size x size uint8 image to out x out floats in [0, 1] (half-pixel centres). */
export function resizeCrop(
  image: Uint8Array,
  size: number,
  channels: number,
  box: CropBox,
  out: Float32Array,
  outSize: number,
  flip: boolean,
): void {
  const ys = bilinearAxis(box.top, box.height, outSize);
  const xs = bilinearAxis(box.left, box.width, outSize);
  const stride = size * channels;
  for (let y = 0; y < outSize; y++) {
    const r0 = ys.i0[y] * stride;
    const r1 = ys.i1[y] * stride;
    const fy = ys.f[y];
    for (let x = 0; x < outSize; x++) {
      const xi = flip ? outSize - 1 - x : x;
      const a0 = xs.i0[xi] * channels;
      const a1 = xs.i1[xi] * channels;
      const fx = xs.f[xi];
      const o = (y * outSize + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = image[r0 + a0 + c] + fx * (image[r0 + a1 + c] - image[r0 + a0 + c]);
        const bottom = image[r1 + a0 + c] + fx * (image[r1 + a1 + c] - image[r1 + a0 + c]);
        out[o + c] = (top + fy * (bottom - top)) / 255;
      }
    }
  }
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Colour jitter (p 0.8), grayscale (p 0.2, RGB), blur (p 0.5, >= 64 px) on one [0, 1] image, in place. */
function distort(img: Float32Array, size: number, channels: number, strength: number, random: () => number): void {
  const pixels = size * size;
  const gray = (p: number) =>
    channels === 3 ? 0.299 * img[p * 3] + 0.587 * img[p * 3 + 1] + 0.114 * img[p * 3 + 2] : img[p * channels];
  if (strength > 0 && random() < 0.8) {
    const factor = () => 1 + 0.8 * strength * (2 * random() - 1);
    const brightness = factor();
    for (let i = 0; i < img.length; i++) img[i] = clamp01(img[i] * brightness);
    const contrast = factor();
    let mean = 0;
    for (let p = 0; p < pixels; p++) mean += gray(p);
    mean /= pixels;
    for (let i = 0; i < img.length; i++) img[i] = clamp01((img[i] - mean) * contrast + mean);
    if (channels === 3) {
      const saturation = factor();
      for (let p = 0; p < pixels; p++) {
        const g = gray(p);
        for (let c = 0; c < 3; c++) img[p * 3 + c] = clamp01(g + (img[p * 3 + c] - g) * saturation);
      }
    }
  }
  if (channels === 3 && random() < 0.2) {
    for (let p = 0; p < pixels; p++) {
      const g = gray(p);
      img[p * 3] = img[p * 3 + 1] = img[p * 3 + 2] = g;
    }
  }
  if (size >= 64 && random() < 0.5) gaussianBlur(img, size, channels, (0.1 + 1.9 * random()) * (size / 224));
}

/** Separable Gaussian blur with edge clamping, in place. */
function gaussianBlur(img: Float32Array, size: number, channels: number, sigma: number): void {
  const r = Math.max(1, Math.ceil(2 * sigma));
  const w = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = w.reduce((s, v) => s + v, 0);
  for (let i = 0; i < w.length; i++) w[i] /= total;
  const tmp = new Float32Array(img.length);
  const pass = (src: Float32Array, dst: Float32Array, horizontal: boolean) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          let s = 0;
          for (let t = -r; t <= r; t++) {
            const xx = horizontal ? Math.min(size - 1, Math.max(0, x + t)) : x;
            const yy = horizontal ? y : Math.min(size - 1, Math.max(0, y + t));
            s += w[t + r] * src[(yy * size + xx) * channels + c];
          }
          dst[(y * size + x) * channels + c] = s;
        }
      }
    }
  };
  pass(img, tmp, true);
  pass(tmp, img, false);
}

function normalizeInPlace(img: Float32Array, channels: number, norm: Normalization): void {
  for (let i = 0; i < img.length; i++) {
    const c = i % channels;
    img[i] = (img[i] - norm.mean[c]) / norm.std[c];
  }
}
