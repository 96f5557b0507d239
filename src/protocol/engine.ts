import type { BackendName } from './config';

/** Why a backend was not used. */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** One backend's measured training-step time, as `auto` compared them. */
export interface MeasuredBackend {
  backend: BackendName;
  device: string;
  /** Milliseconds per training step (or forward batch: EngineInfo.measuredKind) of the model at the batch. */
  msPerStep: number;
  /** Taken from the per-machine cache rather than measured in this run. */
  cached: boolean;
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
  /** `auto` with more than one candidate: every candidate's step time, fastest first. */
  measured?: MeasuredBackend[];
  /** What `measured` timed: a training step (train, resume) or a forward batch (eval, embed, cluster). */
  measuredKind?: 'training step' | 'forward batch';
}
