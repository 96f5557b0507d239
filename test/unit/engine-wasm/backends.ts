// Shared test setup: both backends registered, autodiff gradients registered, our wasm kernels registered.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../../../src/trainer/engine/wasm';
import { initThreadedWasm, isWasmInitialised } from '../../../src/trainer/engine/wasm/nodeThreads';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (tf.getBackend() === name) return;
  // WASM_TEST_THREADS=N runs the wasm suites on N XNNPACK threads (default: tfjs's single-threaded build).
  const threads = Number(process.env.WASM_TEST_THREADS ?? 1);
  if (name === 'wasm' && threads > 1 && !isWasmInitialised()) await initThreadedWasm(threads);
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
  if (name === 'wasm') registerWasmGradientKernels();
}

/** Deterministic uniform(-1, 1) values (mulberry32), so both backends see the same inputs. */
export function randomValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest |a - b| divided by (1 + largest |b|): a scale-free error that a wrong index pushes to O(1). */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (1 + scale);
}
