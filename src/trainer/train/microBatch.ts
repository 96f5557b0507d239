// The largest micro-batch that keeps a training step inside the wasm backend's 4 GiB heap (a training decision
// from the model's layer sizes; the heap itself is engine/wasm's).
//
// Calibrated with `profile-step` since BatchNorm became fused kernels (it used to cost ~5x the activations): a
// full step peaks at ~2.8x the forward activations (every layer output stays alive until backward, plus
// gradients and the transposed copies the conv gradient kernels make): smallvgg 28 px, batch 256: 1420 MiB
// (estimate 1556); AlexNet 224 px, batch 64: 3012 MiB (estimate 2728, its fc weights dominate). Fusing the conv
// bias and ReLU into the BatchNorm kernels later brought the smallvgg step to 783 MiB: the factor is conservative
// now. Parameters cost ~5x their size (weights, momentum, gradients, their accumulators, transposed copies).
import type { LayerSummary } from '../model/types';

/** Bytes of tensors we allow a step to hold: the 4 GiB ceiling minus room for XNNPACK's own buffers. */
export const WASM_STEP_BUDGET_BYTES = 2.5 * 2 ** 30;
const ACTIVATION_FACTOR = 3;
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
