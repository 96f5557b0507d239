// faiss's own RandomGenerator (std::mt19937) and rand_perm, bit for bit, so that our k-means picks the same
// initial centroids as faiss for the same seed and splits empty clusters with the same draws (deepcluster.md 1.4).

export class Mt19937 {
  private mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0; // faiss casts the int64 seed to unsigned int
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next uint32 (std::mt19937::operator()). */
  next(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** faiss RandomGenerator::rand_int(max): mt() % max. */
  randInt(max: number): number {
    return this.next() % max;
  }

  /** faiss RandomGenerator::rand_float(): mt() / float(mt.max()), in float32 arithmetic. */
  randFloat(): number {
    return Math.fround(Math.fround(this.next()) / 4294967296);
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      let v = mt[(i + 397) % 624] ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }
}

/** faiss rand_perm: a permutation of 0..n-1 by forward Fisher-Yates with mt19937(seed). */
export function faissRandPerm(n: number, seed: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Mt19937(seed);
  for (let i = 0; i + 1 < n; i++) {
    const i2 = i + rng.randInt(n - i);
    const t = perm[i];
    perm[i] = perm[i2];
    perm[i2] = t;
  }
  return perm;
}
