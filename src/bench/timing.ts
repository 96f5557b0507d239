// Benchmarks time one warm-up call (JIT, kernel compilation, allocations), then report the median of `iters` calls.

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function timeIt(iters: number, f: () => Promise<void>): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Best of `runs` timings of `f`, with its last value: the protocol of the faiss script in bench:epoch (the first
 *  run pays JIT and set-up), so every k-means solver there is timed the same way. */
export async function bestOf<T>(runs: number, f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value: T | undefined;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    value = await f();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value: value as T };
}
