// Types shared by the trainer, the extension and the webviews. Types and constants only: no imports of theirs.

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKENDS)[number];
/** A backend that actually runs (what `auto` resolves to). `tensorflow` is tfjs-node or tfjs-node-gpu. */
export type BackendName = Exclude<BackendRequest, 'auto'>;

/** `resnet50`: DeepCluster-v2's released ResNet-50 (swav), for its checkpoints and fine-tuning at 224 px. */
export const ARCHS = ['resnet', 'smallvgg', 'alexnet', 'vgg16', 'resnet50'] as const;
export type ArchName = (typeof ARCHS)[number];

export const CLUSTERINGS = ['kmeans', 'pic'] as const;
export type ClusteringName = (typeof CLUSTERINGS)[number];

/** `uniform`: uniform over clusters as the paper intends. `official`: reproduces the official code's index bug. */
export const SAMPLERS = ['uniform', 'official'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/**
 * `v2`: DeepCluster-v2 (swav's main_deepclusterv2.py) adapted to small data: projection head, memory bank,
 * spherical k-means into frozen prototypes, multi-crop, warm-up + cosine lr. `paper`: the exact 2018 method.
 */
export const RECIPES = ['v2', 'paper'] as const;
export type RecipeName = (typeof RECIPES)[number];

/** The v2 recipe's own settings (absent for `paper` runs). */
export interface V2Settings {
  /** Prototype sets ("heads"), each of TrainConfig.k prototypes. */
  heads: number;
  /** Scores are cosine similarities divided by this. */
  temperature: number;
  /** Small crops per image besides the 2 large ones. */
  smallCrops: number;
  /** Projection head: hidden and output (embedding) sizes. */
  hiddenDim: number;
  embeddingDim: number;
  /** Linear warm-up of the learning rate over this many epochs, then cosine decay to lr * finalLrRatio. */
  warmupEpochs: number;
  finalLrRatio: number;
  /** Spherical k-means iterations per clustering. */
  kmeansIterations: number;
}

/** Everything a training run needs, as one typed object. Written into run.json; `resume` reads it back. */
export interface TrainConfig {
  /** Absent in runs written before recipes existed: those are `paper`. */
  recipe?: RecipeName;
  v2?: V2Settings;
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
  /**
   * `--init`: the checkpoint the run's weights started from (a PyTorch .pth/.pth.tar/.pt, or one of our checkpoint
   * folders); absent when they started random.
   */
  init?: string;
  /** Keep only the newest N checkpoints (an AlexNet checkpoint is ~470 MB); default: every epoch's. */
  keepCheckpoints?: number;
}
