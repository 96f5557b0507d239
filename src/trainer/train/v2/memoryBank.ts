// The memory bank of DeepCluster-v2: for each of the two large crops, every image's latest L2-normalised
// embedding, by dataset index. Filled once before the first epoch (initMemory), then refreshed batch by batch as
// training visits each image, so the clustering of the next epoch needs no separate feature pass.
export class MemoryBank {
  /** crops[j] is N x dim, row i = image i's embedding of large crop j. */
  readonly crops: Float32Array[];

  constructor(
    readonly size: number,
    readonly dim: number,
    cropCount = 2,
  ) {
    this.crops = Array.from({ length: cropCount }, () => new Float32Array(size * dim));
  }

  /** Writes rows of `embeddings` (cropCount x batch rows: crop 0's batch, then crop 1's) for images `indices`. */
  write(indices: ArrayLike<number>, embeddings: Float32Array): void {
    const b = indices.length;
    const d = this.dim;
    if (embeddings.length !== this.crops.length * b * d)
      throw new RangeError(
        `memory bank: ${embeddings.length} values for ${b} images x ${this.crops.length} crops x ${d}`,
      );
    this.crops.forEach((bank, j) => {
      for (let r = 0; r < b; r++) bank.set(embeddings.subarray((j * b + r) * d, (j * b + r + 1) * d), indices[r] * d);
    });
  }

  matrix(crop: number): { data: Float32Array; n: number; d: number } {
    return { data: this.crops[crop], n: this.size, d: this.dim };
  }
}
