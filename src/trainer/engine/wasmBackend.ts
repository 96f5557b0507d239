// The wasm backend (XNNPACK, SIMD): runs everywhere, the floor `auto` falls back to.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from './wasm';
import { initThreadedWasm, isWasmInitialised } from './wasm/nodeThreads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapSimdActive, setHeapLoopThreads } from './wasm/heapPool';

export interface WasmStart {
  /** Threads XNNPACK actually uses. */
  threads: number;
  simd: boolean;
  /** Why fewer threads run than were asked for, when that happens. */
  threadsNote?: string;
  /** Whether our training kernels run on the SIMD module (heapSimd.wasm) rather than their JavaScript twins. */
  heapSimd: boolean;
}

/** Makes wasm the global tfjs backend with `threads` XNNPACK threads (default: all cores). */
export async function activateWasm(threads: number = availableParallelism()): Promise<WasmStart> {
  let threadsNote: string | undefined;
  const initialised = isWasmInitialised();
  if (!initialised && threads > 1) {
    try {
      await initThreadedWasm(threads);
    } catch (err) {
      threadsNote = `wasm threads unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (!isWasmInitialised()) {
    // The single-threaded build (tfjs's default in Node).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to initialise');
  await tf.ready();
  // tfjs-backend-wasm has no Conv2DBackpropFilter and a slow Conv2DBackpropInput: without these it cannot train.
  registerWasmGradientKernels();
  const actual = getThreadsCount();
  // Our JavaScript kernels split their loops across as many threads as XNNPACK has (shared heap only).
  setHeapLoopThreads(actual);
  if (threadsNote === undefined && actual < threads) {
    threadsNote = initialised
      ? `the wasm backend was already initialised with ${actual} thread${actual === 1 ? '' : 's'}`
      : `tfjs-backend-wasm started ${actual} of ${threads} threads`;
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const heapSimd = heapSimdActive(tf.backend() as BackendWasm);
  return threadsNote === undefined
    ? { threads: actual, simd, heapSimd }
    : { threads: actual, simd, threadsNote, heapSimd };
}
