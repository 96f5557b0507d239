// The heap-loop pool (src/trainer/engine/wasm/heapPool.ts): with two threads the JavaScript kernels (BatchNorm
// forward and backward, leading-axis sums, the max-pool gradient, the conv filter gradient's im2col) compute what one thread computes, and Node still exits by itself with the workers blocked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('heap loops split across 2 threads equal the single-thread results, and Node exits', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'heapPoolChild.ts')], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(r.signal, null, `child did not exit by itself (killed by ${r.signal}): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    threads: number;
    ready: boolean;
    diffs: Record<string, number>;
    split: Record<string, number>;
  };
  assert.equal(out.threads, 2);
  assert.equal(out.ready, true, 'the pool workers never started');
  // BatchNorm: forward stats + apply, backward stats + apply; sum and mean; one max-pool gradient; the filter
  // gradient's padded transpose and its one im2col chunk.
  assert.deepEqual(out.split, { batchNorm: 6, sum: 2, maxPoolGrad: 1, filterGradient: 2 });
  // Element-wise loops are bitwise equal; sums differ only by the order of float64 partial sums.
  assert.deepEqual(Object.keys(out.diffs).sort(), ['batchNorm', 'filterGradient', 'maxPoolGrad', 'sum']);
  for (const [name, diff] of Object.entries(out.diffs))
    assert.ok(diff < 1e-6, `${name}: 2 threads differ from 1 by ${diff}`);
  assert.equal(out.diffs.maxPoolGrad, 0);
  assert.equal(out.diffs.filterGradient, 0);
});
