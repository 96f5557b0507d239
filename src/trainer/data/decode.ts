// Turning one image into the cache's S x S RGB layout with sharp (libvips): EXIF rotation, alpha flattened,
// any colour space (grey, 16-bit, CMYK, palette) to 8-bit sRGB, shorter side resized to S, centre crop.
import sharp from 'sharp';

/** Colour that transparent pixels are flattened onto (white, as image viewers and browsers show them). */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 };

export interface DecodedImage {
  /** S x S x 3 sRGB, 8 bits. */
  rgb: Uint8Array;
  /** The source had no colour (grey or grey+alpha, 8 or 16 bits). */
  grey: boolean;
}

// libvips' own cache only helps when the same file is decoded twice; we never do.
sharp.cache(false);

/**
 * Decode an encoded image (JPEG, PNG, WebP, GIF, TIFF, AVIF) into S x S x 3.
 * `fit: cover` is "resize by the shorter side, then centre crop"; the bilinear kernel is close to
 * torchvision's Resize (PIL bilinear with antialiasing).
 */
export async function decodeImage(encoded: Buffer, size: number): Promise<DecodedImage> {
  // failOn 'truncated': a cut-off file is an error (skipped), harmless encoder warnings are not.
  const image = sharp(encoded, { failOn: 'truncated' });
  const meta = await image.metadata();
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  let pipeline = image.rotate();
  if (meta.hasAlpha) pipeline = pipeline.flatten({ background: ALPHA_BACKGROUND });
  const { data, info } = await pipeline
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'linear' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), grey };
}

/** Run `fn` over items with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
