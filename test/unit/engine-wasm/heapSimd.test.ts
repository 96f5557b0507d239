// The SIMD heap loops (src/trainer/engine/wasm/assembly/heapSimd.ts, built to dist/trainer/heapSimd.wasm) load on
// the threaded wasm backend, run on the calling thread and in the pool's workers, and compute what the JavaScript
// loops compute; channels that do not come in fours stay on the JavaScript loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

type Out = { threads: number; ready: boolean; simd: boolean; diffs: Record<string, number>; simdParts: Record<string, { main: number; workers: number }> };

test('SIMD BatchNorm and column sums equal the JavaScript loops, on the calling thread and in the workers', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'heapSimdChild.ts')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Out;
  assert.equal(out.threads, 2);
  assert.equal(out.ready, true, 'the pool workers never started');
  assert.equal(out.simd, true, 'heapSimd.wasm did not load (is dist/trainer/heapSimd.wasm built? npm run build)');
  for (const [key, diff] of Object.entries(out.diffs)) assert.ok(diff < 2e-5, `${key}: SIMD differs from JavaScript by ${diff}`);
  for (const [key, parts] of Object.entries(out.simdParts)) {
    if (key.includes(' c37 ')) {
      assert.deepEqual(parts, { main: 0, workers: 0 }, `${key}: 37 channels must stay on JavaScript`);
      continue;
    }
    // BatchNorm: statistics + apply, in the plain forward and in the one tf.grads runs, and in the backward; the
    // sums: one loop each.
    const loops = key.startsWith('sum') ? 2 : 6;
    assert.equal(parts.main, loops, `${key}: loops run on SIMD kernels in the calling thread`);
    assert.equal(parts.workers, key.endsWith(' t2') ? loops : 0, `${key}: loops run on SIMD kernels in a worker`);
  }
});
