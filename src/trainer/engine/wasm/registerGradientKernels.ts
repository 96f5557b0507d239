import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2dBackpropFilter';
import { conv2DBackpropInputConfig } from './conv2dBackpropInput';

/** Gradient kernels for the wasm backend, all built on its XNNPACK forward Conv2D. */
export const wasmGradientKernelConfigs: KernelConfig[] = [conv2DBackpropFilterConfig, conv2DBackpropInputConfig];

/**
 * Registers (or re-registers over the wasm backend's own, slower ones) the gradient kernels. Idempotent; call it
 * before the first training step on 'wasm'. The kernels have no setup function, so the order relative to
 * tf.setBackend('wasm') does not matter.
 */
export function registerWasmGradientKernels(): void {
  for (const config of wasmGradientKernelConfigs) {
    const existing = getKernel(config.kernelName, config.backendName);
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
