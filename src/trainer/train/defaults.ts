// Default training settings per architecture. They follow the official code (main.py, main.sh) where it applies
// and scale down for the small network on small images; each choice says why.
import type { ArchName, RecipeName, TrainConfig } from '../../protocol/config';
import { defaultV2Settings } from '../train/v2/settings';

/** Size of fc7, the features that are clustered: the ceiling for --pca. */
export const FEATURE_DIM: Record<ArchName, number> = {
  resnet: 512,
  smallvgg: 512,
  alexnet: 4096,
  vgg16: 4096,
  resnet50: 2048,
};

/** The official code's seed (main.py `--seed` default 31); the peer run used it too. */
export const DEFAULT_SEED = 31;

/** Everything of TrainConfig except where the data comes from and where the run goes. */
export type TrainDefaults = Omit<TrainConfig, 'data' | 'out' | 'limit' | 'microBatch' | 'cacheDir'>;

export function defaultsFor(arch: ArchName): TrainDefaults {
  // Shared by every architecture: the official optimisation recipe (main.py / main.sh), which the paper uses
  // unchanged. lr 0.05 constant, momentum 0.9, weight decay 10^-5, batch 256, Sobel on, k-means clustering.
  const common = {
    arch,
    batchSize: 256,
    backend: 'auto',
    seed: DEFAULT_SEED,
    sobel: true,
    clustering: 'kmeans',
    // The paper's intent (uniform over clusters); `official` reproduces the reference code's index bug.
    sampler: 'uniform',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 1e-5,
  } as const;
  if (arch === 'smallvgg' || arch === 'resnet') {
    return {
      ...common,
      // k: the official 10 000 is for 1.28 M images (~128 per cluster). Over-segmenting helps DeepCluster
      // (paper Fig. 3b: k=10 000 beats k=1 000 on ImageNet's 1 000 classes), so we keep about 10x the class
      // count of MNIST-like sets: 100 clusters, ~200 images each on 20 000 images (the peer's setting).
      k: 100,
      // pca: 256 of 4096 in the official code (1/16). fc7 here has 512 dims; 64 keeps the same ratio order
      // while leaving faiss-style k-means enough dimensions for 100 clusters (the peer's setting).
      pca: 64,
      // 28: MNIST / Fashion-MNIST native size; the loop replaces it with the dataset's own size for IDX data
      // unless --input-size was given (see ParsedTrain.explicit).
      inputSize: 28,
      // 15 epochs: on 20 000 images NMI(t, t-1) has flattened near 0.8 by then (peer run), at ~100 s/epoch on
      // 2 cores. The official 200 would take hours for no visible change at this scale.
      epochs: 15,
    };
  }
  return {
    ...common,
    // ResNet-50 (DeepCluster-v2's) has no Sobel front: its colour augmentations do that job.
    ...(arch === 'resnet50' ? { sobel: false } : {}),
    // alexnet / vgg16 / resnet50: the official ImageNet settings (main.sh): k 10 000, PCA 256, 224 px crops. `--epochs`
    // defaults to 200 in main.py; the paper's Table 1 used 500 (deepcluster#32).
    k: 10000,
    pca: 256,
    inputSize: 224,
    epochs: 200,
  };
}

/**
 * The v2 recipe's defaults (DeepCluster-v2 adapted to small data; README "Recipes" says why each):
 * the small ResNet without Sobel (colour jitter and grayscale do its job), SGD momentum 0.9 with warm-up and
 * cosine decay, weight decay 1e-5. k, batch and epochs are placeholders until the dataset's size is known
 * (datasetSizeDefaults).
 */
export function defaultsForRecipe(recipe: RecipeName, arch?: ArchName): TrainDefaults {
  if (recipe === 'paper') return { ...defaultsFor(arch ?? 'smallvgg'), recipe };
  const a = arch ?? 'resnet';
  const base = defaultsFor(a);
  return {
    ...base,
    recipe,
    v2: defaultV2Settings(),
    arch: a,
    sobel: false,
    lr: 0.1,
    weightDecay: 1e-5,
    batchSize: 128,
    k: 100,
    epochs: a === 'resnet' || a === 'smallvgg' ? 20 : 100,
    inputSize: a === 'resnet' ? 28 : base.inputSize,
  };
}

/** Largest power of two <= x, clamped to [lo, hi]. */
const pow2 = (x: number, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, 2 ** Math.floor(Math.log2(Math.max(1, x)))));

/**
 * What depends on the number of images, for the settings the user did not give: every recipe gets at least
 * ~40 optimisation steps an epoch (a 3 000-image folder at batch 256 would get 12), and the v2 prototypes get
 * ~25-50 images each (swav: 3 000 for 1.28 M images, ~430 each; small sets need smaller clusters to stay
 * informative), between 10 and 3 000.
 *   paper: batch = largest power of two <= N / 40 in [32, 256] (256 at the peer's 20 000 images).
 *   v2:    batch = largest power of two <= N / 100 in [32, 256]; lr 0.1 per 128 images of batch (linear scaling);
 *          k = N / 40 in [10, 3000]; epochs = 30 000 / N in [10, 50] (small sets get more passes, a run stays
 *          about 300 000 image visits or more).
 */
export function datasetSizeDefaults(
  config: TrainConfig,
  images: number,
  explicit: ReadonlySet<keyof TrainConfig>,
): TrainConfig {
  const out = { ...config };
  const v2 = (config.recipe ?? 'paper') === 'v2';
  if (!explicit.has('batchSize'))
    out.batchSize = Math.min(pow2(images / (v2 ? 100 : 40), 32, 256), pow2(images, 1, 256));
  if (v2 && !explicit.has('lr')) out.lr = +(0.1 * (out.batchSize / 128)).toPrecision(3);
  if (v2 && !explicit.has('k')) out.k = Math.max(Math.min(10, images), Math.min(3000, Math.round(images / 40)));
  if (v2 && !explicit.has('epochs')) out.epochs = Math.max(10, Math.min(50, Math.round(30000 / images)));
  return out;
}
