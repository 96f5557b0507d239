// The largest micro-batch that keeps a training step inside the wasm backend's 4 GiB heap.
//
// Calibrated on smallvgg at 32 px: a full step at batch 256 peaked at 3.3 GiB of tensors (3.9 GiB of heap), i.e.
// ~5x the forward activations (every layer output stays alive until backward, plus gradients and the transposed
// copies the conv gradient kernels make). Parameters cost ~5x their size too (weights, momentum, gradients, their
// accumulators, transposed copies).
import type { LayerSummary } from '../../model/types';

/** Bytes of tensors we allow a step to hold: the 4 GiB ceiling minus room for XNNPACK's own buffers. */
export const WASM_STEP_BUDGET_BYTES = 2.5 * 2 ** 30;
const ACTIVATION_FACTOR = 5;
const PARAMETER_FACTOR = 5;

/** Estimated peak bytes of one training step, per image and fixed (parameters). */
export function stepMemoryEstimate(summary: LayerSummary[]): { perImage: number; fixed: number } {
  let activations = 0;
  let params = 0;
  for (const layer of summary) {
    activations += layer.outputShape.reduce((a, b) => a * b, 1);
    params += layer.params;
  }
  return { perImage: 4 * ACTIVATION_FACTOR * activations, fixed: 4 * PARAMETER_FACTOR * params };
}

/**
 * Micro-batch for `batch` on wasm: the batch split into the fewest equal slices that fit the budget. Returns
 * `batch` itself when the whole batch fits; throws when not even one image fits.
 */
export function wasmMicroBatch(summary: LayerSummary[], batch: number, budgetBytes = WASM_STEP_BUDGET_BYTES): number {
  const { perImage, fixed } = stepMemoryEstimate(summary);
  const fits = Math.floor((budgetBytes - fixed) / perImage);
  if (fits < 1) {
    throw new Error(
      `this model needs ~${((fixed + perImage) / 2 ** 30).toFixed(1)} GiB for one image per step; the wasm backend's ` +
        'heap is limited to 4 GiB: use a smaller input size or another backend',
    );
  }
  const slices = Math.ceil(batch / fits);
  return Math.ceil(batch / slices);
}
