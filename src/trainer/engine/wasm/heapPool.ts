// Splits our JavaScript heap loops (heapLoops.ts: BatchNorm, column sums, im2col, max-pool gradient) across
// the calling thread and worker threads. XNNPACK's own threads sit idle while JavaScript runs, so on the threaded
// wasm build (whose heap is a SharedArrayBuffer) these loops use every core the backend was given. Synchronous:
// the caller posts the call to a shared control block, runs its own part, and waits on an Atomics counter; a
// round trip costs tens of microseconds, so small loops run on the calling thread alone. Without a shared heap,
// when the worker file cannot be found, until every worker has started, or after one failed, everything runs on
// the calling thread.
//
// Most loops run in heapSimd.wasm (assembly/heapSimd.ts) on every thread when it loads: it imports the heap's own
// WebAssembly.Memory, so its parameters and partial sums live on the heap, in a scratch block allocated once per
// heap. tfjs's single-threaded build (no pool) gets the variant built for an unshared memory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  CTRL,
  Loop,
  MAX_PARTS,
  PARAMS,
  PARTIAL,
  runLoop,
  useSimdKernels,
  type HeapWorkerData,
  type SimdKernels,
} from './heapLoops';

export { Loop } from './heapLoops';

/** Below this many elements a loop is not worth a round trip. */
const MIN_PARALLEL = 1 << 16;
const MAX_ARGS = 32;
/**
 * A part takes milliseconds; this long means the worker is gone. Generous: on a machine loaded ~5x over its cores
 * (the test suite beside three other jobs on 2 cores) a worker once went unscheduled for over 60 s.
 */
const WORKER_TIMEOUT_MS = Number(process.env.DEEPCLUSTER_HEAP_TIMEOUT_MS) || 300_000;

class HeapPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL.size));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS));
  private readonly ports: MessagePort[] = [];
  private heap: SharedArrayBuffer;
  private broken = false;

  constructor(
    readonly parts: number,
    readonly memory: WebAssembly.Memory,
    readonly scratch: Scratch,
    workerFile: string,
  ) {
    this.heap = memory.buffer as unknown as SharedArrayBuffer;
    for (let part = 1; part < parts; part++) {
      const { port1, port2 } = new MessageChannel();
      const shared: HeapWorkerData = {
        ctrl: this.ctrl.buffer as SharedArrayBuffer,
        args: this.args.buffer as SharedArrayBuffer,
        heap: this.heap,
        memory,
        paramsAt: scratch.paramsAt,
        partialsAt: scratch.partialsAt,
        simdModule: simdModule(),
        port: port2,
        part,
      };
      // The TypeScript source (tests) needs tsx's loader, which workers do not inherit: register it first.
      const worker = workerFile.endsWith('.ts')
        ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(workerFile)});`, {
            eval: true,
            workerData: shared,
            transferList: [port2],
          })
        : new Worker(workerFile, { workerData: shared, transferList: [port2] });
      worker.on('error', () => (this.broken = true));
      worker.on('exit', () => (this.broken = true));
      worker.unref();
      port1.unref();
      this.ports.push(port1);
    }
  }

  /** Parts the workers ran on the SIMD kernels so far. */
  get workerSimdParts(): number {
    return Atomics.load(this.ctrl, CTRL.simdParts);
  }

  /** Whether every worker loaded the SIMD kernels (loops without a JavaScript twin need that to be split). */
  get simdEverywhere(): boolean {
    return Atomics.load(this.ctrl, CTRL.simdWorkers) === this.parts - 1;
  }

  /** Whether every worker is running (they start asynchronously) and none has failed. */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.ctrl, CTRL.ready) === this.parts - 1;
  }

  /** Runs `loop` in `parts` parts (at most this.parts); returns when every part is done. */
  run(loop: Loop, args: number[], heap: SharedArrayBuffer, f: Float32Array, parts: number, simd: boolean): void {
    // A call whose own part threw returned without waiting: its workers must be done before the args change.
    const previous = Atomics.load(this.ctrl, CTRL.seq);
    this.waitForWorkers(previous, loop);
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
    this.ctrl[CTRL.simd] = simd ? 1 : 0;
    Atomics.store(this.ctrl, CTRL.failed, 0);
    Atomics.store(this.ctrl, CTRL.seq, previous + 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    const { params, partials } = this.scratch.views(heap);
    if (runLoop(loop, args, f, params, partials.subarray(0, PARTIAL), 0, parts, simd)) heapLoopCounts.simdParts++;
    this.waitForWorkers(previous + 1, loop);
    if (Atomics.load(this.ctrl, CTRL.failed) > 0)
      throw new Error(`a wasm heap-loop worker failed in loop ${Loop[loop]}`);
  }

  /**
   * Waits until every worker has finished call `seq`. Each worker records the call it finished, then bumps the
   * `done` counter, which only serves to wake this thread. (A count of finished parts compared with a target hung
   * under load: a v2 run on a busy machine ended with 2 of 1 parts counted for one call, the worker having
   * finished that call, which a worker that ran a call twice or an earlier call that returned early explains.
   * Call numbers cannot drift that way.)
   */
  private waitForWorkers(seq: number, loop: Loop): void {
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      let finished = true;
      for (let part = 1; part < this.parts && finished; part++) {
        finished = Atomics.load(this.ctrl, CTRL.finished + part) === seq;
      }
      if (finished) return;
      if (Atomics.wait(this.ctrl, CTRL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        const state = (base: number) => Array.from({ length: this.parts - 1 }, (_, i) => this.ctrl[base + i + 1]);
        throw new Error(
          `a wasm heap-loop worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s (loop ${Loop[loop]}, call ` +
            `${seq}; workers started ${state(CTRL.started)}, finished ${state(CTRL.finished)})`,
        );
      }
    }
  }
}

/** How many loops ran split and how many on the calling thread alone, and how many parts the calling thread ran
 *  on the SIMD kernels (tests check the split and the SIMD kernels really happen). */
export const heapLoopCounts = { split: 0, single: 0, simdParts: 0 };

/** Parts the pool's workers ran on the SIMD kernels (0 without a pool). */
export function workerSimdParts(): number {
  return pool ? pool.workerSimdParts : 0;
}

let pool: HeapPool | null | undefined;
let poolParts = 1;
let simdWanted = true;

/** Uses up to `threads` threads for heap loops from now on (1: the calling thread only). */
export function setHeapLoopThreads(threads: number): void {
  poolParts = Math.min(MAX_PARTS, Math.max(1, Math.floor(threads)));
  // A pool too small is replaced (its workers stay blocked and unreferenced); a larger one runs fewer parts.
  if (pool && pool.parts < poolParts) pool = undefined;
  if (pool === null) pool = undefined;
}

/** How many parts a split loop runs in (a loop's per-part scratch needs that many slices). */
export function heapLoopParts(): number {
  return poolParts;
}

/** Whether the SIMD kernels may run (tests and benchmarks compare both ways in one process). Returns the old value. */
export function setHeapSimd(enabled: boolean): boolean {
  const previous = simdWanted;
  simdWanted = enabled;
  return previous;
}

/** dist/trainer/cli.js has its files beside it; dist/bench/*.js one folder over; tests run the TypeScript source
 *  (the .wasm comes from the build). */
function besideTrainer(name: string): string | undefined {
  const candidates = [
    join(__dirname, name),
    join(__dirname, '..', 'trainer', name),
    join(__dirname, '..', '..', '..', '..', 'dist', 'trainer', name),
  ];
  return candidates.find(existsSync);
}

function workerFile(): string | undefined {
  return besideTrainer('heapWorker.js') ?? [join(__dirname, 'heapWorker.ts')].find(existsSync);
}

const compiledSimd = new Map<boolean, WebAssembly.Module | null>();

/** heapSimd.wasm compiled (for a shared memory: tfjs's threaded build; otherwise heapSimd.unshared.wasm), or
 *  null when it is missing or this runtime lacks wasm SIMD. */
export function simdModule(shared = true): WebAssembly.Module | null {
  if (!compiledSimd.has(shared)) {
    const file = besideTrainer(shared ? 'heapSimd.wasm' : 'heapSimd.unshared.wasm');
    try {
      compiledSimd.set(shared, file ? new WebAssembly.Module(readFileSync(file)) : null);
    } catch {
      compiledSimd.set(shared, null);
    }
  }
  return compiledSimd.get(shared) ?? null;
}

/** The SIMD kernels on `memory` for this thread; null when unavailable. */
export function simdKernelsOn(memory: WebAssembly.Memory, module: WebAssembly.Module | null): SimdKernels | null {
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
  } catch {
    return null;
  }
}

/** The whole wasm heap as float32 (a fresh view after a growth). */
function heapOf(backend: BackendWasm): Float32Array {
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
}

/** The heap's WebAssembly.Memory: the threaded build exposes it as wasmMemory (shared), the other as an export. */
function memoryOf(backend: BackendWasm): WebAssembly.Memory | null {
  const module = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  return module.wasmMemory ?? module.asm?.memory ?? null;
}

/** Offset in floats of a float32 tensor on the heap. */
export function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset / 4;
}

/** The per-call parameters (float32) and each part's partial sums (float64), allocated once on a heap. */
class Scratch {
  private buffer?: ArrayBufferLike;
  private params?: Float32Array;
  private partials?: Float64Array;

  constructor(
    readonly parts: number,
    readonly paramsAt: number,
    readonly partialsAt: number,
  ) {}

  /** Views on `buffer` (a grown non-shared heap detaches the old ones). */
  views(buffer: ArrayBufferLike): { params: Float32Array; partials: Float64Array } {
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.params = new Float32Array(buffer, this.paramsAt, PARAMS);
      this.partials = new Float64Array(buffer, this.partialsAt, PARTIAL * this.parts);
    }
    return { params: this.params as Float32Array, partials: this.partials as Float64Array };
  }
}

/** Per wasm module instance (one heap each). */
const scratches = new WeakMap<object, Scratch>();

function scratchFor(backend: BackendWasm, parts: number): Scratch {
  let scratch = scratches.get(backend.wasm);
  if (!scratch || scratch.parts < parts) {
    // Never freed while a pool may use it: a replaced one is a few hundred KiB for the process's life.
    const malloc = (backend.wasm as unknown as { _malloc(bytes: number): number })._malloc;
    scratch = new Scratch(parts, malloc(4 * PARAMS), malloc(8 * PARTIAL * parts));
    scratches.set(backend.wasm, scratch);
  }
  return scratch;
}

let threadSimd: { wasm: object; kernels: SimdKernels | null } | undefined;

/** Loads the SIMD kernels on this thread for `backend`'s heap (again when the backend changed); whether they run. */
function simdReady(backend: BackendWasm): boolean {
  if (threadSimd?.wasm !== backend.wasm) {
    const memory = memoryOf(backend);
    const shared = memory?.buffer instanceof SharedArrayBuffer;
    threadSimd = { wasm: backend.wasm, kernels: memory ? simdKernelsOn(memory, simdModule(shared)) : null };
    useSimdKernels(threadSimd.kernels);
  }
  return simdWanted && threadSimd.kernels !== null;
}

/** The pool, started on first use when the heap is shared and more than one thread is wanted; null otherwise. */
function poolFor(backend: BackendWasm): HeapPool | null {
  const memory = memoryOf(backend);
  if (pool && pool.memory !== memory) pool = undefined;
  if (pool === undefined) {
    const file = poolParts > 1 && memory?.buffer instanceof SharedArrayBuffer ? workerFile() : undefined;
    pool = file && memory ? new HeapPool(poolParts, memory, scratchFor(backend, poolParts), file) : null;
  }
  return pool;
}

/** Starts the pool for `backend` if it is not running and waits until its workers are up (tests, benchmarks). */
export async function heapPoolReady(backend: BackendWasm, timeoutMs = 10_000): Promise<boolean> {
  poolFor(backend);
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    if (!pool) return false;
    if (pool.ready) return true;
  }
  return false;
}

/** Whether the heap loops of `backend` run on the SIMD kernels now (tests check they really do). */
export function heapSimdActive(backend: BackendWasm): boolean {
  return simdReady(backend);
}

export interface LoopResult {
  parts: number;
  partials: Float64Array;
  /** Floats between two parts' partial sums. */
  stride: number;
}

/**
 * Runs `loop` with `args` (heap offsets in floats, and sizes); `params` go to the parameter block first.
 * `size` (elements touched) decides whether the pool is worth it; `partialSize` is the floats of partial sums a
 * part writes. Returns each part's partial sums.
 */
export function runHeapLoop(
  backend: BackendWasm,
  loop: Loop,
  args: number[],
  size: number,
  params: ArrayLike<number> = [],
  partialSize = 0,
): LoopResult {
  // The scratch first: allocating it may grow the heap.
  const pool = poolFor(backend);
  const scratch = pool?.scratch ?? scratchFor(backend, 1);
  const simd = simdReady(backend);
  const f = heapOf(backend);
  const buffer = f.buffer;
  const fits = params.length <= PARAMS && partialSize <= PARTIAL;
  const simdOnly =
    loop === Loop.FilterGradient ||
    loop === Loop.Winograd3x3 ||
    loop === Loop.WinogradGradTransform ||
    loop === Loop.WinogradGradProducts;
  if (simdOnly && !simd) throw new Error(`the ${Loop[loop]} loop needs the SIMD kernels (heapSimdActive)`);
  if (
    pool?.ready &&
    (!simdOnly || pool.simdEverywhere) &&
    poolParts > 1 &&
    size >= MIN_PARALLEL &&
    buffer instanceof SharedArrayBuffer &&
    fits
  ) {
    const { params: p, partials } = scratch.views(buffer);
    p.set(params);
    pool.run(loop, args, buffer, f, poolParts, simd);
    heapLoopCounts.split++;
    return { parts: poolParts, partials, stride: PARTIAL };
  }
  heapLoopCounts.single++;
  if (fits) {
    const { params: p, partials } = scratch.views(buffer);
    p.set(params);
    if (runLoop(loop, args, f, p, partials, 0, 1, simd)) heapLoopCounts.simdParts++;
    return { parts: 1, partials, stride: 0 };
  }
  // Off the heap, the scratch grows to whatever the call needs (e.g. column sums of a 20 000-way top layer).
  const partials = new Float64Array(partialSize);
  runLoop(loop, args, f, Float32Array.from(params), partials, 0, 1);
  return { parts: 1, partials, stride: 0 };
}

/** Adds up the parts' partial sums: out[j] = sum over parts of the part's partials[offset + j]. */
export function sumPartials(r: LoopResult, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let part = 0; part < r.parts; part++) {
    const base = part * r.stride + offset;
    for (let j = 0; j < n; j++) out[j] += r.partials[base + j];
  }
  return out;
}
