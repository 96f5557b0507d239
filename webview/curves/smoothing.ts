// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments (TensorBoard
// PR #639), so the first points are not pulled towards 0. Same formula as TensorBoard and W&B's "TensorBoard EMA":
// a constant series stays as it is, non-finite points pass through and do not advance the average.
export function debiasedEma(ys: ArrayLike<number | null>, weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(ys.length);
  emaInto(ys, weight, out);
  return out;
}

/** The same over a dense series (no nulls), into a typed array: the charts' path for 10^6 steps. */
export function debiasedEmaDense(ys: Float64Array, weight: number): Float64Array {
  const out = new Float64Array(ys.length);
  emaInto(ys, weight, out);
  return out;
}

function emaInto(ys: ArrayLike<number | null>, weight: number, out: { [i: number]: number | null }): void {
  let first: number | undefined;
  let constant = true;
  for (let i = 0; i < ys.length && constant; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) continue;
    if (first === undefined) first = y;
    else if (y !== first) constant = false;
  }
  let last = 0;
  let wn = 1; // weight^n
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i]!;
    if (y === null || !Number.isFinite(y) || constant) {
      out[i] = y;
      continue;
    }
    last = last * weight + (1 - weight) * y;
    wn *= weight;
    out[i] = weight === 1 ? last : last / (1 - wn);
  }
}
