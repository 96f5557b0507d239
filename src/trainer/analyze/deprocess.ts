// The official `deprocess_image`: centre the image, scale it to std 0.1, shift to 0.5, clip to [0, 1], then
// to bytes. Only the image's own contrast matters, so raw-pixel and normalised images come out the same.

/** Float image (any layout, all channels together) -> uint8 of the same layout. */
export function deprocessImage(x: ArrayLike<number>): Uint8Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  const std = Math.sqrt(variance / n); // numpy's std: population (ddof 0)
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, ((x[i] - mean) / (std + 1e-5)) * 0.1 + 0.5));
    out[i] = Math.floor(v * 255); // numpy astype('uint8') truncates
  }
  return out;
}
