// Splits our JavaScript heap loops (heapLoops.ts: BatchNorm, column sums, im2col, max-pool gradient) across
// the calling thread and worker threads. XNNPACK's own threads sit idle while JavaScript runs, so on the threaded
// wasm build (whose heap is a SharedArrayBuffer) these loops use every core the backend was given. Synchronous:
// the caller posts the call to a shared control block, runs its own part, and waits on an Atomics counter; a
// round trip costs tens of microseconds, so small loops run on the calling thread alone. Without a shared heap,
// when the worker file cannot be found, until every worker has started, or after one failed, everything runs on
// the calling thread.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CTRL, Loop, PARAMS, PARTIAL, runLoop, type HeapWorkerData } from './heapLoops';

export { Loop } from './heapLoops';

/** Below this many elements a loop is not worth a round trip. */
const MIN_PARALLEL = 1 << 16;
const MAX_ARGS = 32;
/** A part takes milliseconds; this long means the worker is gone. */
const WORKER_TIMEOUT_MS = 60_000;

class HeapPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL.size));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
  readonly params = new Float64Array(new SharedArrayBuffer(8 * PARAMS));
  readonly partials: Float64Array;
  private readonly ports: MessagePort[] = [];
  private heap: SharedArrayBuffer;
  private broken = false;

  constructor(readonly parts: number, heap: SharedArrayBuffer, workerFile: string) {
    this.heap = heap;
    this.partials = new Float64Array(new SharedArrayBuffer(8 * PARTIAL * parts));
    for (let part = 1; part < parts; part++) {
      const { port1, port2 } = new MessageChannel();
      const shared: HeapWorkerData = {
        ctrl: this.ctrl.buffer as SharedArrayBuffer,
        args: this.args.buffer as SharedArrayBuffer,
        params: this.params.buffer as SharedArrayBuffer,
        partials: this.partials.buffer as SharedArrayBuffer,
        heap,
        port: port2,
        part,
      };
      // The TypeScript source (tests) needs tsx's loader, which workers do not inherit: register it first.
      const worker = workerFile.endsWith('.ts')
        ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(workerFile)});`, { eval: true, workerData: shared, transferList: [port2] })
        : new Worker(workerFile, { workerData: shared, transferList: [port2] });
      worker.on('error', () => (this.broken = true));
      worker.on('exit', () => (this.broken = true));
      worker.unref();
      port1.unref();
      this.ports.push(port1);
    }
  }

  /** Whether every worker is running (they start asynchronously) and none has failed. */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.ctrl, CTRL.ready) === this.parts - 1;
  }

  /** Runs `loop` in `parts` parts (at most this.parts); returns when every part is done. */
  run(loop: Loop, args: number[], heap: SharedArrayBuffer, f: Float32Array, parts: number): void {
    if (heap !== this.heap) {
      // The heap grew: the workers' views end at the old size. They pick the new buffer up synchronously.
      this.heap = heap;
      for (const port of this.ports) port.postMessage(heap);
      Atomics.add(this.ctrl, CTRL.gen, 1);
    }
    this.args.set(args);
    this.ctrl[CTRL.loop] = loop;
    this.ctrl[CTRL.parts] = parts;
    this.ctrl[CTRL.nargs] = args.length;
    Atomics.store(this.ctrl, CTRL.done, 0);
    Atomics.store(this.ctrl, CTRL.failed, 0);
    Atomics.add(this.ctrl, CTRL.seq, 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    runLoop(loop, args, f, this.params, this.partials.subarray(0, PARTIAL), 0, parts);
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      if (done === this.parts - 1) break;
      if (Atomics.wait(this.ctrl, CTRL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`a wasm heap-loop worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`);
      }
    }
    if (Atomics.load(this.ctrl, CTRL.failed) > 0) throw new Error(`a wasm heap-loop worker failed in loop ${Loop[loop]}`);
  }
}

/** How many loops ran split and how many on the calling thread alone (tests check the split really happens). */
export const heapLoopCounts = { split: 0, single: 0 };

let pool: HeapPool | null | undefined;
let poolParts = 1;

/** Uses up to `threads` threads for heap loops from now on (1: the calling thread only). */
export function setHeapLoopThreads(threads: number): void {
  poolParts = Math.max(1, Math.floor(threads));
  // A pool too small is replaced (its workers stay blocked and unreferenced); a larger one runs fewer parts.
  if (pool && pool.parts < poolParts) pool = undefined;
  if (pool === null) pool = undefined;
}

function workerFile(): string | undefined {
  // dist/trainer/cli.js has it beside; dist/bench/*.js one folder over; tests run the TypeScript source.
  return [join(__dirname, 'heapWorker.js'), join(__dirname, '..', 'trainer', 'heapWorker.js'), join(__dirname, 'heapWorker.ts')].find(existsSync);
}

/** The whole wasm heap as float32 (a fresh view after a growth). */
function heapOf(backend: BackendWasm): Float32Array {
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
}

/** Offset in floats of a float32 tensor on the heap. */
export function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset / 4;
}

/** The pool, started on first use when the heap is shared and more than one thread is wanted; null otherwise. */
function poolFor(buffer: ArrayBufferLike): HeapPool | null {
  if (pool === undefined) {
    const file = poolParts > 1 && buffer instanceof SharedArrayBuffer ? workerFile() : undefined;
    pool = file ? new HeapPool(poolParts, buffer as SharedArrayBuffer, file) : null;
  }
  return pool;
}

/** Starts the pool for `backend` if it is not running and waits until its workers are up (tests, benchmarks). */
export async function heapPoolReady(backend: BackendWasm, timeoutMs = 10_000): Promise<boolean> {
  poolFor(heapOf(backend).buffer);
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    if (!pool) return false;
    if (pool.ready) return true;
  }
  return false;
}

export interface LoopResult {
  parts: number;
  partials: Float64Array;
  /** Floats between two parts' partial sums. */
  stride: number;
}

/**
 * Runs `loop` with `args` (heap offsets in floats, and sizes); `params` go to the shared parameter block first.
 * `size` (elements touched) decides whether the pool is worth it; `partialSize` is the floats of partial sums a
 * part writes. Returns each part's partial sums.
 */
export function runHeapLoop(backend: BackendWasm, loop: Loop, args: number[], size: number, params: ArrayLike<number> = [], partialSize = 0): LoopResult {
  const f = heapOf(backend);
  const buffer = f.buffer;
  const pool = poolFor(buffer);
  if (pool?.ready && poolParts > 1 && size >= MIN_PARALLEL && buffer instanceof SharedArrayBuffer && params.length <= PARAMS && partialSize <= PARTIAL) {
    pool.params.set(params);
    pool.run(loop, args, buffer, f, poolParts);
    heapLoopCounts.split++;
    return { parts: poolParts, partials: pool.partials, stride: PARTIAL };
  }
  // Here the scratch grows to whatever the call needs (e.g. column sums of a 20 000-way top layer).
  const p = params.length <= PARAMS ? serial.params : new Float64Array(params.length);
  p.set(params);
  const partials = partialSize <= PARTIAL ? serial.partials : new Float64Array(partialSize);
  runLoop(loop, args, f, p, partials, 0, 1);
  heapLoopCounts.single++;
  return { parts: 1, partials, stride: 0 };
}

const serial = { params: new Float64Array(PARAMS), partials: new Float64Array(PARTIAL) };

/** Adds up the parts' partial sums: out[j] = sum over parts of the part's partials[offset + j]. */
export function sumPartials(r: LoopResult, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let part = 0; part < r.parts; part++) {
    const base = part * r.stride + offset;
    for (let j = 0; j < n; j++) out[j] += r.partials[base + j];
  }
  return out;
}
