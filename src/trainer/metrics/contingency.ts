// Sparse contingency table of two labelings (labels remapped to 0..r-1 and 0..c-1 in order of appearance).

export interface Contingency {
  n: number;
  /** Marginal counts of the first labeling. */
  rows: number[];
  /** Marginal counts of the second labeling. */
  cols: number[];
  /** key = row * cols.length + col -> count (non-zero cells only). */
  cells: Map<number, number>;
  /** Row index of each point and column index of each point. */
  rowOf: Int32Array;
  colOf: Int32Array;
}

export function contingency(a: ArrayLike<number>, b: ArrayLike<number>): Contingency {
  if (a.length !== b.length) throw new Error(`labelings differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  const [rowOf, rows] = compact(a);
  const [colOf, cols] = compact(b);
  const cells = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = rowOf[i] * cols.length + colOf[i];
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  return { n, rows, cols, cells, rowOf, colOf };
}

function compact(a: ArrayLike<number>): [Int32Array, number[]] {
  const ids = new Map<number, number>();
  const out = new Int32Array(a.length);
  const counts: number[] = [];
  for (let i = 0; i < a.length; i++) {
    let id = ids.get(a[i]);
    if (id === undefined) {
      id = counts.length;
      ids.set(a[i], id);
      counts.push(0);
    }
    counts[id]++;
    out[i] = id;
  }
  return [out, counts];
}
