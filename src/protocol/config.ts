// Types shared by the trainer, the extension and the webviews. Types and constants only: no imports of theirs.

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKENDS)[number];
/** A backend that actually runs (what `auto` resolves to). `tensorflow` is tfjs-node or tfjs-node-gpu. */
export type BackendName = Exclude<BackendRequest, 'auto'>;

export const ARCHS = ['smallvgg', 'alexnet', 'vgg16'] as const;
export type ArchName = (typeof ARCHS)[number];

export const CLUSTERINGS = ['kmeans', 'pic'] as const;
export type ClusteringName = (typeof CLUSTERINGS)[number];

/** `uniform`: uniform over clusters as the paper intends. `official`: reproduces the official code's index bug. */
export const SAMPLERS = ['uniform', 'official'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** Everything a training run needs, as one typed object. Written into run.json; `resume` reads it back. */
export interface TrainConfig {
  /** Dataset path (IDX file or folder, CIFAR binary folder, image folder). Undefined: the bundled sample. */
  data?: string;
  out: string;
  arch: ArchName;
  k: number;
  pca: number;
  epochs: number;
  batchSize: number;
  backend: BackendRequest;
  seed: number;
  limit?: number;
  sobel: boolean;
  clustering: ClusteringName;
  sampler: SamplerName;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Square input size the network sees (images are resized by the shorter side, then centre-cropped). */
  inputSize: number;
  /** Largest batch run through the backend at once; larger batches accumulate gradients over micro-batches. */
  microBatch?: number;
  /** Cache folder for decoded images. */
  cacheDir?: string;
  /** Keep only the newest N checkpoints (an AlexNet checkpoint is ~470 MB); default: every epoch's. */
  keepCheckpoints?: number;
}
