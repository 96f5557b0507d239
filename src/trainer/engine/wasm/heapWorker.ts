// A heap-loop worker (see heapPool.ts): waits for a call in the shared control block, runs its part of the loop on
// the shared wasm heap, counts itself done. A grown heap arrives as a message, read synchronously.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CTRL, PARTIAL, runLoop, type HeapWorkerData } from './heapLoops';

const shared = workerData as HeapWorkerData;
const ctrl = new Int32Array(shared.ctrl);
const args = new Float64Array(shared.args);
const params = new Float64Array(shared.params);
const partial = new Float64Array(shared.partials, 8 * PARTIAL * shared.part, PARTIAL);
let heap = new Float32Array(shared.heap);
let gen = 0;
// Calls are numbered from 1: the first may be posted before this thread gets here.
let seq = 0;
Atomics.add(ctrl, CTRL.ready, 1);
for (;;) {
  Atomics.wait(ctrl, CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  for (const want = Atomics.load(ctrl, CTRL.gen); gen !== want; ) {
    const m = receiveMessageOnPort(shared.port);
    if (m) {
      heap = new Float32Array(m.message as SharedArrayBuffer);
      gen++;
    }
  }
  try {
    runLoop(ctrl[CTRL.loop], args.subarray(0, ctrl[CTRL.nargs]), heap, params, partial, shared.part, ctrl[CTRL.parts]);
  } catch {
    Atomics.add(ctrl, CTRL.failed, 1);
  }
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
