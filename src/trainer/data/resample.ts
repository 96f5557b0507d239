// Resize-by-the-shorter-side-then-centre-crop for raw arrays (IDX, CIFAR at another size), in plain JS.
// Every image of such a dataset has the same geometry, so the filter weights are computed once and a resize is
// a few multiply-adds per pixel (sharp's per-call overhead would cost ~1 ms an image here).
// The filter is PIL's antialiased bilinear (a triangle stretched by the downscale factor), as torchvision's Resize.

interface AxisWeights {
  /** First input index feeding each output index. */
  start: Int32Array;
  /** Number of taps per output index. */
  taps: Int32Array;
  /** taps weights per output, `maxTaps` apart. */
  weights: Float32Array;
  maxTaps: number;
}

/** Weights mapping `inSize` input pixels to `outSize` outputs of a `resized`-long axis, starting at `offset`. */
function axisWeights(inSize: number, resized: number, offset: number, outSize: number): AxisWeights {
  const scale = inSize / resized;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle's radius is 1 output pixel, in input pixels
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + offset + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i - center + 0.5) / filterScale));
      weights[o * maxTaps + (i - lo)] = w;
      total += w;
    }
    for (let i = 0; i < hi - lo; i++) weights[o * maxTaps + i] /= total || 1;
    start[o] = lo;
    taps[o] = hi - lo;
  }
  return { start, taps, weights, maxTaps };
}

export class Resampler {
  private readonly xs: AxisWeights;
  private readonly ys: AxisWeights;
  private readonly rows: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: number,
    readonly size: number,
  ) {
    const r = size / Math.min(width, height);
    const rw = Math.max(size, Math.round(width * r));
    const rh = Math.max(size, Math.round(height * r));
    this.xs = axisWeights(width, rw, (rw - size) >> 1, size);
    this.ys = axisWeights(height, rh, (rh - size) >> 1, size);
    this.rows = new Float32Array(height * size * channels);
  }

  /** src: height x width x C uint8; out: size x size x C uint8. */
  apply(src: Uint8Array, out: Uint8Array): void {
    const { width, height, channels: c, size, xs, ys, rows } = this;
    // Horizontal pass: every input row to `size` columns.
    for (let y = 0; y < height; y++) {
      for (let o = 0; o < size; o++) {
        const s = xs.start[o];
        const base = o * xs.maxTaps;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let t = 0; t < xs.taps[o]; t++) acc += xs.weights[base + t] * src[(y * width + s + t) * c + ch];
          rows[(y * size + o) * c + ch] = acc;
        }
      }
    }
    // Vertical pass.
    for (let o = 0; o < size; o++) {
      const s = ys.start[o];
      const base = o * ys.maxTaps;
      for (let x = 0; x < size * c; x++) {
        let acc = 0;
        for (let t = 0; t < ys.taps[o]; t++) acc += ys.weights[base + t] * rows[(s + t) * size * c + x];
        out[o * size * c + x] = acc <= 0 ? 0 : acc >= 255 ? 255 : (acc + 0.5) | 0;
      }
    }
  }
}
