// Training augmentation on uint8 NHWC batches, in typed arrays (backend-independent and reproducible from the
// seeded `random` the loop passes in). Two recipes, chosen by input size:
//   small inputs (< 96 px): random crop with zero padding S/14 (2 px at 28) + horizontal flip, as the peer;
//   large inputs (>= 96 px): torchvision's RandomResizedCrop (scale 0.08-1, ratio 3/4-4/3, 10 tries, then a
//     centre crop) + horizontal flip, as the official code. The crop is taken from the cached S x S centre
//     crop (not the full original image) and resized back to S bilinearly.

export type Augmentation =
  | { kind: 'pad-crop'; pad: number; flip: boolean }
  | { kind: 'resized-crop'; scale: [number, number]; ratio: [number, number]; flip: boolean };

/** Crop boxes in pixels of the S x S source. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export function augmentationFor(size: number): Augmentation {
  if (size < 96) return { kind: 'pad-crop', pad: Math.max(1, Math.round(size / 14)), flip: true };
  return { kind: 'resized-crop', scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: true };
}

/** torch.randint(0, n): an integer in [0, n). */
const randint = (random: () => number, n: number) => Math.min(n - 1, Math.floor(random() * n));
const uniform = (random: () => number, a: number, b: number) => a + (b - a) * random();

/** torchvision RandomResizedCrop.get_params on a size x size image. */
export function randomResizedCropBox(
  size: number,
  scale: [number, number],
  ratio: [number, number],
  random: () => number,
): CropBox {
  const area = size * size;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(random, scale[0], scale[1]);
    const aspect = Math.exp(uniform(random, logRatio[0], logRatio[1]));
    const width = Math.round(Math.sqrt(target * aspect));
    const height = Math.round(Math.sqrt(target / aspect));
    if (width > 0 && width <= size && height > 0 && height <= size) {
      const top = randint(random, size - height + 1);
      const left = randint(random, size - width + 1);
      return { top, left, height, width };
    }
  }
  // Fallback: the whole image when its ratio (1 for our square sources) lies within `ratio`.
  let width = size;
  let height = size;
  if (1 < ratio[0]) height = Math.round(width / ratio[0]);
  else if (1 > ratio[1]) width = Math.round(height * ratio[1]);
  return { top: (size - height) >> 1, left: (size - width) >> 1, height, width };
}

/** A new batch with every image augmented; `src` is n x S x S x C uint8 and is not modified. */
export function augmentBatch(
  src: Uint8Array,
  n: number,
  size: number,
  channels: number,
  random: () => number,
  aug: Augmentation = augmentationFor(size),
): Uint8Array {
  const row = size * size * channels;
  if (src.length !== n * row)
    throw new RangeError(`batch has ${src.length} bytes, expected ${n}x${size}x${size}x${channels}`);
  const out = new Uint8Array(src.length);
  for (let i = 0; i < n; i++) {
    const image = src.subarray(i * row, (i + 1) * row);
    const target = out.subarray(i * row, (i + 1) * row);
    if (aug.kind === 'pad-crop') {
      const top = randint(random, 2 * aug.pad + 1) - aug.pad;
      const left = randint(random, 2 * aug.pad + 1) - aug.pad;
      const flip = aug.flip && random() < 0.5;
      shiftedCrop(image, target, size, channels, top, left, flip);
    } else {
      const box = randomResizedCropBox(size, aug.scale, aug.ratio, random);
      const flip = aug.flip && random() < 0.5;
      resizedCrop(image, target, size, channels, box, flip);
    }
  }
  return out;
}

/** out(y, x) = image(y + top, x' + left), x' = flipped x or x; zero (black) outside: RandomCrop with padding. */
export function shiftedCrop(
  image: Uint8Array,
  out: Uint8Array,
  size: number,
  channels: number,
  top: number,
  left: number,
  flip: boolean,
): void {
  for (let y = 0; y < size; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= size) continue; // out is zero-filled
    for (let x = 0; x < size; x++) {
      const sx = (flip ? size - 1 - x : x) + left;
      if (sx < 0 || sx >= size) continue;
      const o = (y * size + x) * channels;
      const s = (sy * size + sx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = image[s + c];
    }
  }
}

/** Bilinear resize of `box` to size x size (half-pixel centres, as PIL and torch), optionally mirrored. */
export function resizedCrop(
  image: Uint8Array,
  out: Uint8Array,
  size: number,
  channels: number,
  box: CropBox,
  flip: boolean,
): void {
  const ys = bilinearAxis(box.top, box.height, size);
  const xs = bilinearAxis(box.left, box.width, size);
  // Per output column: byte offsets of the two source columns and the weight, mirrored when flipping.
  const x0 = new Int32Array(size);
  const x1 = new Int32Array(size);
  const fx = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const xi = flip ? size - 1 - x : x;
    x0[x] = xs.i0[xi] * channels;
    x1[x] = xs.i1[xi] * channels;
    fx[x] = xs.f[xi];
  }
  const stride = size * channels;
  for (let y = 0; y < size; y++) {
    const r0 = ys.i0[y] * stride;
    const r1 = ys.i1[y] * stride;
    const fy = ys.f[y];
    let o = y * stride;
    for (let x = 0; x < size; x++, o += channels) {
      const wx = fx[x];
      const a = r0 + x0[x];
      const b = r0 + x1[x];
      const d = r1 + x0[x];
      const e = r1 + x1[x];
      for (let c = 0; c < channels; c++) {
        const top = image[a + c] + wx * (image[b + c] - image[a + c]);
        const bottom = image[d + c] + wx * (image[e + c] - image[d + c]);
        out[o + c] = (top + fy * (bottom - top) + 0.5) | 0;
      }
    }
  }
}

/**
 * Bilinear sampling of `length` source pixels from `start` onto `outSize` outputs (half-pixel centres, as PIL and
 * torch): per output, the two source indices and the weight of the second.
 */
export function bilinearAxis(
  start: number,
  length: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const step = length / outSize;
  for (let o = 0; o < outSize; o++) {
    const s = Math.min(Math.max((o + 0.5) * step - 0.5, 0), length - 1);
    const lo = Math.floor(s);
    i0[o] = start + lo;
    i1[o] = start + Math.min(lo + 1, length - 1);
    f[o] = s - lo;
  }
  return { i0, i1, f };
}
