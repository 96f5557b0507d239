// A heap-loop worker (see heapPool.ts): waits for a call in the shared control block, runs its part of the loop on
// the shared wasm heap, counts itself done. A grown heap arrives as a message, read synchronously. The SIMD
// kernels are instantiated here on the same memory (no imports beyond it, so a failure only means JavaScript).
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CTRL, PARAMS, PARTIAL, runLoop, useSimdKernels, type HeapWorkerData, type SimdKernels } from './heapLoops';

const shared = workerData as HeapWorkerData;
const ctrl = new Int32Array(shared.ctrl);
const args = new Float64Array(shared.args);
// The scratch lies on the shared heap, which never detaches: views of the first buffer stay valid.
const params = new Float32Array(shared.heap, shared.paramsAt, PARAMS);
const partial = new Float64Array(shared.heap, shared.partialsAt + 8 * PARTIAL * shared.part, PARTIAL);
let heap = new Float32Array(shared.heap);
let simd = false;
try {
  if (shared.simdModule) {
    useSimdKernels(
      new WebAssembly.Instance(shared.simdModule, { env: { memory: shared.memory } }).exports as unknown as SimdKernels,
    );
    simd = true;
    Atomics.add(ctrl, CTRL.simdWorkers, 1);
  }
} catch {
  // JavaScript loops only.
}
let gen = 0;
// Calls are numbered from 1: the first may be posted before this thread gets here.
let seq = 0;
Atomics.add(ctrl, CTRL.ready, 1);
for (;;) {
  // Only a new call number wakes this loop: a return from wait alone is not taken as a call.
  while (Atomics.load(ctrl, CTRL.seq) === seq) Atomics.wait(ctrl, CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  Atomics.store(ctrl, CTRL.started + shared.part, seq);
  for (const want = Atomics.load(ctrl, CTRL.gen); gen !== want; ) {
    const m = receiveMessageOnPort(shared.port);
    if (m) {
      heap = new Float32Array(m.message as SharedArrayBuffer);
      gen++;
    }
  }
  try {
    if (
      runLoop(
        ctrl[CTRL.loop],
        args.subarray(0, ctrl[CTRL.nargs]),
        heap,
        params,
        partial,
        shared.part,
        ctrl[CTRL.parts],
        simd && ctrl[CTRL.simd] === 1,
      )
    ) {
      Atomics.add(ctrl, CTRL.simdParts, 1);
    }
  } catch {
    Atomics.add(ctrl, CTRL.failed, 1);
  }
  Atomics.store(ctrl, CTRL.finished + shared.part, seq);
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
