// The engine: picks and prepares the TF.js backend the trainer runs on.
import './gradients';
import type { BackendRequest } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import { machineProbes } from './probes';
import { selectBackend, type EngineOptions } from './selectBackend';
import { releaseWebgpu } from './webgpuDawn';

export { parseBackend } from './parseBackend';
export { BackendUnavailable } from './backendUnavailable';
export { selectBackend, AUTO_ORDER, type EngineOptions } from './selectBackend';
export type { BackendOffer, BackendProbe, EngineProbes } from './offers';
export { stageOnCpu } from './stageOnCpu';
export { setupGpu, type SetupGpuOptions, type SetupGpuResult } from './setupGpu';

/**
 * Sets the tfjs-core backend for the whole process and reports what it chose, on which device, and why every
 * other backend was skipped. An explicit backend that cannot run here throws a one-line reason.
 */
export function initEngine(request: BackendRequest, opts: EngineOptions = {}): Promise<EngineInfo> {
  return selectBackend(request, machineProbes, opts);
}

/**
 * Frees the GPU before the process ends: with webgpu active, Dawn keeps Node running after the last line of
 * work. Call it when training is done; the engine can be initialised again afterwards.
 */
export function releaseEngine(): void {
  releaseWebgpu();
}
