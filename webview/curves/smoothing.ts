// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moments (TensorBoard
// PR #639), so the first points are not pulled towards 0. Same formula as TensorBoard and W&B's "TensorBoard EMA":
// a constant series stays as it is, non-finite points pass through and do not advance the average.
export function debiasedEma(ys: readonly (number | null)[], weight: number): (number | null)[] {
  const finite = ys.filter((y): y is number => y !== null && Number.isFinite(y));
  const constant = finite.every((y) => y === finite[0]);
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y) || constant) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, n);
    return last / debias;
  });
}
