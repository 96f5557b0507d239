// Refusing before training what the adapter cannot bind. A WebGPU shader sees a tensor through one storage-buffer
// binding, at most maxStorageBufferBindingSize bytes (128 MiB on lavapipe and many integrated GPUs, 2-4 GiB on
// large discrete ones). A dense weight over it (AlexNet's fc6 at 224 px: 9216 x 4096 float32 = 144 MiB) is split
// into column shards by the model (model/denseShards.ts), so only a conv weight, a batch activation, or a dense
// layer whose single column is over the limit is refused here, up front with the numbers.
import type { LayerSummary } from '../model/types';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The first weight or batch activation of `rows` (a model summary) that cannot be bound within `limit` bytes at
 * `batch`, as a sentence; undefined when everything fits. Weights exclude their bias; dense weights count one
 * column (they are split into shards); activations are batch x output, float32.
 */
export function webgpuFitProblem(arch: string, rows: LayerSummary[], batch: number, limit: number): string | undefined {
  for (const r of rows) {
    const units = r.outputShape.at(-1) ?? 0;
    // The smallest part of a weight that must be bound at once: the whole conv filter, one column of a dense one.
    const weight =
      r.kind === 'conv' ? 4 * (r.params - units) : r.kind === 'dense' ? (4 * (r.params - units)) / units : 0;
    if (weight > limit) {
      const what = r.kind === 'dense' ? 'one column of its weight' : 'its weight';
      return (
        `${arch}'s ${r.name}: ${what} is ${mib(weight)}, over this adapter's maxStorageBufferBindingSize ` +
        `of ${mib(limit)}: webgpu cannot bind it here. Use --backend wasm (or tensorflow), a smaller --input-size, ` +
        'or a GPU with a larger limit'
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
