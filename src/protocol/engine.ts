import type { BackendName } from './config';

/** Why a backend was not used. */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** What the engine picked, reported in run.json and as the first event. */
export interface EngineInfo {
  backend: BackendName;
  /** e.g. "NVIDIA H100 (Vulkan)", "llvmpipe (software Vulkan)", "CPU, wasm SIMD, 2 threads". */
  device: string;
  /** tfjs-node-gpu / tfjs-node / webgpu / wasm / cpu: the package that provides it. */
  provider: string;
  /** Whether the device is a software rasteriser (lavapipe, SwiftShader) or plain CPU. */
  software: boolean;
  threads?: number;
  skipped: SkippedBackend[];
}
