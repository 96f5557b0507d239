// Models: the v2 recipe's small ResNet (28-96 px), DeepCluster-v2's ResNet-50 (224 px), smallvgg (28-64 px), DeepCluster's AlexNet-BN and VGG16-BN (224 px), with an optional frozen Sobel front.
import type { ConvNet, LayerSummary, ModelOptions } from './types';
import { DeepClusterConvNet } from './convNet';
import { ResNet } from './resnet';
import { isResNetArch, summarizeResNet } from './resnetSpec';
import { summarizeModel } from './summary';
import { webgpuBindingLimit } from '../engine/webgpuGuard';

export type { ConvNet, LayerSummary, ModelOptions } from './types';
export { architectureSpec, minimumInputSize } from './architectures';
export { summarizeModel, countParameters } from './summary';
export { BN_EPSILON, BN_MOMENTUM } from './batchNorm';
export { SOBEL_KERNELS } from './sobel';

/**
 * Builds and initialises a model; throws a one-line error when the input size does not fit the architecture.
 * `layout.maxBindingBytes` (default: the active webgpu adapter's limit, none elsewhere) splits dense layers wider
 * than one binding into column shards (denseShards.ts). ResNet's widest dense layer (2048 x k) is not split.
 */
export function createModel(
  options: ModelOptions,
  layout: ModelLayout = { maxBindingBytes: webgpuBindingLimit() },
): ConvNet {
  return isResNetArch(options.arch) ? new ResNet(options) : new DeepClusterConvNet(options, layout.maxBindingBytes);
}

/** How the weights are held: `{}` keeps every layer whole, whatever the backend. */
export interface ModelLayout {
  maxBindingBytes?: number;
}

/** The layer table of the model createModel would build, without allocating any weight. */
export function summarizeAny(options: ModelOptions): LayerSummary[] {
  return isResNetArch(options.arch) ? summarizeResNet(options) : summarizeModel(options);
}
