import {
  BatchMatMul,
  getKernel,
  Mean,
  registerKernel,
  Sum,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2dBackpropFilter';
import { conv2DBackpropInputConfig } from './conv2dBackpropInput';
import { maxPoolGradConfig } from './maxPoolGrad';
import { makeBatchMatMulConfig } from './batchMatMul';
import { makeMeanConfig, makeSumConfig } from './leadingAxesReduction';
import { installWasmHeapGuard } from './heapGuard';
import { batchNormKernelConfigs } from './batchNormKernels';
import { convWrappers } from './conv2dFastPath';

/** Kernels that replace (or add to) the wasm backend's: the gradients training needs, on its fast paths. */
export const wasmGradientKernelConfigs: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  ...batchNormKernelConfigs,
];

/** Kernels that take a fast path for some inputs and otherwise call the wasm backend's own one. */
const wrappers: Array<[string, (original: KernelConfig) => KernelConfig]> = [
  [BatchMatMul, makeBatchMatMulConfig],
  [Sum, makeSumConfig],
  [Mean, makeMeanConfig],
  ...convWrappers,
];
const installed = new Set<KernelConfig['kernelFunc']>();

function install(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName)) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
  installed.add(config.kernelFunc);
}

/**
 * Registers the wasm kernels training needs: Conv2DBackpropFilter (missing upstream), a fast
 * Conv2DBackpropInput and MaxPoolGrad, fused BatchNorm training kernels, and fast paths for BatchMatMul with
 * transposes, for Sum/Mean over leading axes and for 3x3 stride-1 convolutions (Winograd). Idempotent, and safe before or after tf.setBackend('wasm')
 * (wrappers keep the original's setupFunc).
 * Needs '@tensorflow/tfjs-backend-wasm' imported first. When the wasm backend is already initialised, also
 * installs the heap guard (a clear error instead of memory corruption at the 4 GiB limit).
 */
export function registerWasmGradientKernels(): void {
  for (const config of wasmGradientKernelConfigs) {
    if (!installed.has(getKernel(config.kernelName, 'wasm')?.kernelFunc)) install(config);
  }
  for (const [name, wrap] of wrappers) {
    const current = getKernel(name, 'wasm');
    if (!current)
      throw new Error(
        `registerWasmGradientKernels: the wasm backend has no ${name} kernel (is @tensorflow/tfjs-backend-wasm imported?)`,
      );
    if (!installed.has(current.kernelFunc)) install(wrap(current));
  }
  installWasmHeapGuard();
}
