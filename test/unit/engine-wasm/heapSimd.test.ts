// The SIMD heap loops (src/trainer/engine/wasm/assembly/heapSimd.ts, built to dist/trainer/heapSimd.wasm) load on
// the threaded wasm backend, run on the calling thread and in the pool's workers, and compute what the JavaScript
// loops compute (the filter gradient: what im2col x XNNPACK and a float64 textbook sum compute; the max-pool
// gradient, ties included: exactly what the JavaScript loop computes); channels that do not come in fours (out
// channels not in eights for the filter gradient) stay off them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

type Out = {
  threads: number;
  ready: boolean;
  simd: boolean;
  diffs: Record<string, number>;
  simdParts: Record<string, { main: number; workers: number }>;
};

test('SIMD BatchNorm, column sums, filter and max-pool gradients equal the JavaScript routes, on the calling thread and in the workers', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'heapSimdChild.ts')], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Out;
  assert.equal(out.threads, 2);
  assert.equal(out.ready, true, 'the pool workers never started');
  assert.equal(out.simd, true, 'heapSimd.wasm did not load (is dist/trainer/heapSimd.wasm built? npm run build)');
  for (const [key, diff] of Object.entries(out.diffs))
    assert.ok(diff < 2e-5, `${key}: SIMD differs from JavaScript by ${diff}`);
  assert.ok(
    Object.keys(out.diffs).filter((k) => k.endsWith('oracle')).length >= 16,
    'the filter gradients were not checked against the oracle',
  );
  assert.ok(
    Object.keys(out.diffs).filter((k) => k.startsWith('maxPoolGrad')).length >= 10,
    'the max-pool gradients were not checked',
  );
  // The max-pool gradient picks the same first maximum and adds in the same order: bitwise equal.
  for (const [key, diff] of Object.entries(out.diffs)) if (key.startsWith('maxPoolGrad')) assert.equal(diff, 0, key);
  for (const [key, parts] of Object.entries(out.simdParts)) {
    if (key.includes(' c37 ') || key.includes(' co12') || key.includes(' c6 ')) {
      assert.deepEqual(
        parts,
        { main: 0, workers: 0 },
        `${key}: channels not in fours (out channels not in eights) must stay off SIMD`,
      );
      continue;
    }
    if (key.startsWith('filterGradient') || key.startsWith('maxPoolGrad')) {
      assert.equal(parts.main, 1, `${key}: did not run on the SIMD kernels`);
      // Small ones stay on the calling thread; this one is big enough to split.
      if (key.includes('split')) assert.equal(parts.workers, key.endsWith(' t2') ? 1 : 0, `${key}: worker parts`);
      continue;
    }
    // BatchNorm: statistics + apply, in the plain forward and in the one tf.grads runs, and in the backward; the
    // sums: one loop each.
    const loops = key.startsWith('sum') ? 2 : 6;
    assert.equal(parts.main, loops, `${key}: loops run on SIMD kernels in the calling thread`);
    assert.equal(parts.workers, key.endsWith(' t2') ? loops : 0, `${key}: loops run on SIMD kernels in a worker`);
  }
});
