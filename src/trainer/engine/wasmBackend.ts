// The wasm backend (XNNPACK, SIMD): runs everywhere, the floor `auto` falls back to.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from './wasm';

export interface WasmStart {
  /** Threads XNNPACK actually uses (tfjs 4.22 disables wasm threads in Node, so usually 1). */
  threads: number;
  simd: boolean;
}

/** Makes wasm the global tfjs backend with `threads` XNNPACK threads (default: all cores). */
export async function activateWasm(threads: number = availableParallelism()): Promise<WasmStart> {
  // Must be set before the backend initialises; ignored after.
  setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to initialise');
  await tf.ready();
  // tfjs-backend-wasm has no Conv2DBackpropFilter and a slow Conv2DBackpropInput: without these it cannot train.
  registerWasmGradientKernels();
  return { threads: getThreadsCount(), simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
}

