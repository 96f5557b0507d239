// Min/max-per-pixel-column downsampling for drawing long series: of the points whose x falls in each pixel
// column of [x0, x1], keep the one with the smallest and the one with the largest y (in x order). A line
// through what is kept covers exactly the pixels the full line would (its vertical extent per column), so
// 10^6 steps draw as at most 2 x width + 4 points. The nearest point outside each end is kept so lines run off the edges
// when zoomed in, and so are the first and last points inside the range. Null and non-finite y are dropped
// (the charts span gaps).

export interface XY {
  xs: number[];
  ys: number[];
}

/** `xs` must be ascending. Returns the input's points (not copies of values) in x order. */
export function minMaxDownsample(
  xs: ArrayLike<number>,
  ys: ArrayLike<number | null>,
  columns: number,
  x0?: number,
  x1?: number,
): XY {
  const n = xs.length;
  const out: XY = { xs: [], ys: [] };
  if (n === 0) return out;
  const lo = x0 ?? xs[0]!;
  const hi = x1 ?? xs[n - 1]!;
  const ok = (i: number) => ys[i] !== null && Number.isFinite(ys[i] as number);
  // First index at or after lo, by binary search.
  let a = 0;
  let b = n;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m]! < lo) a = m + 1;
    else b = m;
  }
  const keep: number[] = [];
  let before = a - 1;
  while (before >= 0 && !ok(before)) before--;
  if (before >= 0) keep.push(before);
  const cols = Math.max(1, Math.floor(columns));
  const scale = hi > lo ? cols / (hi - lo) : 0;
  let first = -1;
  let last = -1;
  let col = -1;
  let minI = -1;
  let maxI = -1;
  // One pass: per column run of points, the indices of its min and max survive (plus the range's first and last).
  const close = () => {
    if (minI < 0) return;
    if (minI === maxI) keep.push(minI);
    else keep.push(Math.min(minI, maxI), Math.max(minI, maxI));
  };
  let i = a;
  for (; i < n; i++) {
    const x = xs[i]!;
    if (x > hi) break;
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) continue;
    if (first < 0) first = i;
    last = i;
    const c = Math.min(cols - 1, Math.floor((x - lo) * scale));
    if (c !== col) {
      close();
      col = c;
      minI = maxI = i;
    } else if (y < (ys[minI] as number)) minI = i;
    else if (y > (ys[maxI] as number)) maxI = i;
  }
  close();
  while (i < n && !ok(i)) i++;
  if (i < n) keep.push(i);
  if (first >= 0) keep.push(first, last);
  keep.sort((p, q) => p - q);
  for (let k = 0; k < keep.length; k++) {
    if (k > 0 && keep[k] === keep[k - 1]) continue;
    out.xs.push(xs[keep[k]!]!);
    out.ys.push(ys[keep[k]!] as number);
  }
  return out;
}
