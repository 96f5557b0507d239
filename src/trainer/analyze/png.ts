// PNG encoding of raw uint8 images through sharp (grey stays one channel; RGB three).
import sharp from 'sharp';

/** HWC uint8 pixels -> PNG bytes, optionally resized to `resize` x `resize`. */
export async function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  resize?: number,
): Promise<Buffer> {
  if (channels !== 1 && channels !== 3) throw new Error(`PNG: 1 or 3 channels expected, got ${channels}`);
  let img = sharp(pixels, { raw: { width, height, channels } });
  // Whole-number enlargements keep square, sharp pixels; any other size is resampled smoothly.
  if (resize !== undefined && resize !== width) {
    img = img.resize(resize, resize, { kernel: resize % width === 0 ? 'nearest' : 'lanczos3', fit: 'fill' });
  }
  if (channels === 1) img = img.toColourspace('b-w');
  return img.png().toBuffer();
}
