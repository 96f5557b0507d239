// Refusing before training what the adapter cannot bind. A WebGPU shader sees a tensor through one storage-buffer
// binding, at most maxStorageBufferBindingSize bytes (128 MiB on lavapipe and many integrated GPUs, 2-4 GiB on
// large discrete ones). AlexNet's fc6 at 224 px is 9216 x 4096 float32 = 144 MiB, VGG16's 392 MiB: such a weight,
// its gradient and its momentum buffer can never be bound, so the run is refused up front with the numbers,
// rather than failing in its first step.
import type { LayerSummary } from '../model/types';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The first weight or batch activation of `rows` (a model summary) that exceeds `limit` bytes at `batch`, as a
 * sentence; undefined when everything fits. Weights exclude their bias; activations are batch x output, float32.
 */
export function webgpuFitProblem(arch: string, rows: LayerSummary[], batch: number, limit: number): string | undefined {
  for (const r of rows) {
    const units = r.outputShape.at(-1) ?? 0;
    const weight = r.kind === 'dense' || r.kind === 'conv' ? 4 * (r.params - units) : 0;
    if (weight > limit) {
      const shape = r.kind === 'dense' ? ` (${(r.params - units) / units} x ${units})` : '';
      return (
        `${arch}'s ${r.name} weight${shape} is ${mib(weight)}, over this adapter's maxStorageBufferBindingSize ` +
        `of ${mib(limit)}: webgpu cannot bind it here. Use --backend wasm (or tensorflow), a smaller --input-size ` +
        '(fc6 shrinks with the input), or a GPU with a larger limit'
      );
    }
    const activation = 4 * batch * r.outputShape.reduce((a, b) => a * b, 1);
    if (activation > limit) {
      return (
        `${arch}'s ${r.name} output at batch ${batch} is ${mib(activation)}, over this adapter's ` +
        `maxStorageBufferBindingSize of ${mib(limit)}: use a smaller --batch-size or --micro-batch, or --backend wasm`
      );
    }
  }
  return undefined;
}
