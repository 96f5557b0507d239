// The webgpu backend in Node: Dawn (npm `webgpu`, which ships dawn.node) provides navigator.gpu, then
// @tensorflow/tfjs-backend-webgpu runs on it. Works on any Vulkan/Metal/D3D12 device, without CUDA.
import * as tf from '@tensorflow/tfjs-core';
import { dawnNodePath, ensureRuntimeDir, probeDawnAdapter } from './dawnProbe';
import { adapterName, isSoftwareAdapter, type AdapterDescription } from './softwareAdapter';
import { installWebgpuGuard, removeWebgpuGuard } from './webgpuGuard';
import { filterGradAsGemm } from './webgpuFilterGrad';
import { avoidSplitKTransposeB } from './webgpuMatMulFix';

export interface WebgpuAdapter {
  name: string;
  software: boolean;
  info: AdapterDescription;
}

interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
  }): Promise<{ info: AdapterDescription; isFallbackAdapter?: boolean } | null>;
}

let gpu: GpuLike | undefined;

/** Puts Dawn's navigator.gpu (and the WebGPU globals tfjs expects) on globalThis, once. */
export async function installDawn(): Promise<GpuLike> {
  if (gpu) return gpu;
  ensureRuntimeDir();
  // dawn.node itself, as `webgpu`'s index.js loads it (that file is ESM-only and does nothing else).
  const dawn = require(dawnNodePath()) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const created = dawn.create([]) as GpuLike;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) {
    // Node 21+ has a read-only navigator: add gpu to it.
    Object.defineProperty(g.navigator, 'gpu', { value: created, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: created }, configurable: true, writable: true });
  }
  gpu = created;
  return created;
}

/**
 * The adapter tfjs-backend-webgpu will get (it asks for high-performance too), or a one-line reason there is none.
 * Asked in a child process (dawnProbe.ts), so Dawn's own warnings never reach the user's console and this process
 * loads Dawn only when it activates webgpu.
 */
export async function findWebgpuAdapter(): Promise<WebgpuAdapter> {
  const info = await probeDawnAdapter();
  return { name: adapterName(info), software: isSoftwareAdapter(info), info };
}

/** Makes webgpu the global tfjs backend. The backend package checks navigator.gpu when imported. */
export async function activateWebgpu(): Promise<void> {
  await installDawn();
  await import('@tensorflow/tfjs-backend-webgpu');
  avoidSplitKTransposeB();
  filterGradAsGemm();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu failed to initialise on Dawn');
  installWebgpuGuard(tf.backend() as unknown as Parameters<typeof installWebgpuGuard>[0]);
}

/**
 * Lets the process exit: Dawn keeps Node alive while its GPU object or a device is referenced
 * (https://issues.chromium.org/issues/387965810), so drop tfjs's webgpu backend and navigator.gpu.
 */
export function releaseWebgpu(): void {
  removeWebgpuGuard();
  const factory = tf.findBackendFactory('webgpu');
  if (factory) {
    // The backend's dispose() leaves its GPUDevice alive, and a live device keeps the event loop alive.
    const backend = tf.engine().registry.webgpu as unknown as { device?: { destroy(): void } } | undefined;
    tf.removeBackend('webgpu');
    backend?.device?.destroy();
    // removeBackend also drops the factory; put it back so a later activateWebgpu() can start it again.
    tf.registerBackend('webgpu', factory, WEBGPU_PRIORITY);
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && gpu && nav.gpu === gpu && Object.getOwnPropertyDescriptor(nav, 'gpu')?.configurable) delete nav.gpu;
  gpu = undefined;
}

/** The priority tfjs-backend-webgpu registers itself with. */
const WEBGPU_PRIORITY = 3;
