import type { BackendName } from '../../protocol/config';

/** A backend a probe found usable on this machine, not yet made the global tfjs backend. */
export interface BackendOffer {
  backend: BackendName;
  /** The package that provides it: tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu. */
  provider: string;
  device: string;
  /** A software rasteriser or plain CPU: correct, but too slow for `auto` to train on. */
  software: boolean;
  /** Makes it the global tfjs backend; may report the device and thread count it actually got. */
  activate(): Promise<{ device?: string; threads?: number } | void>;
  /** Frees what probing held (Dawn's GPU object keeps Node alive) when the offer is not taken. */
  release?(): void;
}

export interface ProbeOptions {
  /** wasm: XNNPACK threads. */
  threads?: number;
}

/** Finds out whether a backend can run here: resolves to an offer, or rejects with BackendUnavailable. */
export type BackendProbe = (opts: ProbeOptions) => Promise<BackendOffer>;

export type EngineProbes = Record<BackendName, BackendProbe>;
