// tfjs-backend-wasm's heap is one wasm32 memory, capped at 4 GiB (getHeapMax() = 4294901760). When a tensor
// allocation does not fit, its _malloc returns 0 and the backend writes the tensor at address 0 anyway: the
// process dies later with "RuntimeError: memory access out of bounds" (this was the batch-256 crash). The guard
// turns that into an immediate, explained error.
import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend's hard memory ceiling. */
export const WASM_HEAP_MAX_BYTES = 4294901760;

interface WasmModuleLike {
  _malloc: (bytes: number) => number;
  asm?: { malloc?: (bytes: number) => number };
  HEAPU8: Uint8Array;
  __heapGuard?: boolean;
}

export class WasmHeapExhausted extends Error {
  override name = 'WasmHeapExhausted';
}

/** Installs the guard on the initialised wasm backend; returns false when that backend is not initialised. */
export function installWasmHeapGuard(): boolean {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: WasmModuleLike } | null;
  const module = backend?.wasm;
  if (!module) return false;
  if (module.__heapGuard) return true;
  // The raw export: Emscripten's `_malloc` stub replaces itself with it on first use, which would drop a wrapper.
  const malloc = module.asm?.malloc ?? module._malloc.bind(module);
  module._malloc = (bytes: number): number => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) {
      throw new WasmHeapExhausted(
        `wasm heap exhausted: cannot allocate ${(bytes / 2 ** 20).toFixed(0)} MiB with ` +
          `${(module.HEAPU8.length / 2 ** 20).toFixed(0)} MiB in use (the wasm backend's limit is 4 GiB); ` +
          'use a smaller --batch-size or --input-size (--micro-batch with --recipe paper), or a GPU backend',
      );
    }
    return ptr;
  };
  module.__heapGuard = true;
  return true;
}
