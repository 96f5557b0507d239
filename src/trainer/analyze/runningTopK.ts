// A running top-k per unit (filter or cluster) over a stream of score rows: what `activ-retrieval.py` gets by
// sorting all scores, in O(units * k) memory so the dataset never has to fit. Ties keep the earlier image.

export class RunningTopK {
  private readonly scores: Float32Array;
  private readonly indices: Int32Array;
  private readonly filled: Int32Array;

  constructor(
    readonly units: number,
    readonly k: number,
  ) {
    this.scores = new Float32Array(units * k);
    this.indices = new Int32Array(units * k);
    this.filled = new Int32Array(units);
  }

  /** rows: n x units scores (row-major) of the images `imageIndices` (n of them). */
  push(rows: ArrayLike<number>, imageIndices: ArrayLike<number>): void {
    const { units, k, scores, indices, filled } = this;
    for (let r = 0; r < imageIndices.length; r++) {
      const image = imageIndices[r];
      for (let u = 0; u < units; u++) {
        const v = rows[r * units + u];
        if (Number.isNaN(v)) continue;
        const base = u * k;
        let m = filled[u];
        // Strictly greater than the current last: an equal score never displaces an earlier image.
        if (m === k && !(v > scores[base + k - 1])) continue;
        if (m < k) filled[u] = ++m;
        let j = m - 1;
        while (j > 0 && v > scores[base + j - 1]) {
          scores[base + j] = scores[base + j - 1];
          indices[base + j] = indices[base + j - 1];
          j--;
        }
        scores[base + j] = v;
        indices[base + j] = image;
      }
    }
  }

  /** The top images of one unit, best first. */
  top(unit: number): { indices: number[]; scores: number[] } {
    const base = unit * this.k;
    const m = this.filled[unit];
    return {
      indices: Array.from(this.indices.subarray(base, base + m)),
      scores: Array.from(this.scores.subarray(base, base + m)),
    };
  }
}
