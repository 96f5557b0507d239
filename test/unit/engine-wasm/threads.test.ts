// XNNPACK threads in Node (src/trainer/engine/wasm/nodeThreads.ts): the thread count in use, results equal to
// one thread on a smallvgg forward pass and training step, Node exiting by itself, and the fallback to 1 thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { relativeMaxError } from './backends';

interface ChildResult {
  threads: number;
  threadsNote?: string;
  heapSimd: boolean;
  loss: number;
  before: number[];
  after: number[];
}

/** Runs threadsChild.ts in its own process; a timeout means the pthread workers kept Node alive. */
function runChild(...args: string[]): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'threadsChild.ts'), ...args], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(r.signal, null, `child did not exit by itself (killed by ${r.signal}): ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

test('2 XNNPACK threads start in Node, compute what 1 thread computes, and let Node exit', () => {
  const one = runChild('1');
  const two = runChild('2');
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2, `threads not in use: ${two.threadsNote}`);
  assert.equal(two.threadsNote, undefined);
  // Our SIMD module runs on both builds (shared and unshared memory).
  assert.equal(one.heapSimd, true);
  assert.equal(two.heapSimd, true);
  assert.equal(two.before.length, 16 * 512);
  // Forward features, the step's loss, and the features after the SGD update (so every gradient took part).
  assert.ok(
    relativeMaxError(two.before, one.before) < 1e-5,
    `forward differs: ${relativeMaxError(two.before, one.before)}`,
  );
  assert.ok(Math.abs(two.loss - one.loss) < 1e-5 * Math.abs(one.loss), `loss ${two.loss} vs ${one.loss}`);
  assert.ok(
    relativeMaxError(two.after, one.after) < 1e-5,
    `after step differs: ${relativeMaxError(two.after, one.after)}`,
  );
  // The step changed the weights, so `after` checks the training step and not just the forward pass again.
  assert.ok(relativeMaxError(one.after, one.before) > 1e-3);
});

test('when the threaded build cannot start, the wasm backend runs on 1 thread and says why', () => {
  const r = runChild('2', 'no-temp-folder');
  assert.equal(r.threads, 1);
  assert.match(r.threadsNote ?? '', /^wasm threads unavailable: .*no-such-folder/);
  assert.equal(r.heapSimd, true);
  assert.ok(Number.isFinite(r.loss));
});
