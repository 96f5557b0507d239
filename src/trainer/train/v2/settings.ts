// The v2 recipe's fixed settings and why (the README's "Recipes" section has the long form).
import type { V2Settings } from '../../../protocol/config';

export function defaultV2Settings(): V2Settings {
  return {
    // swav: 3 prototype sets; several clusterings of the same bank make the targets less arbitrary.
    heads: 3,
    // swav's temperature.
    temperature: 0.1,
    // 2 large crops + 2 small ones: each small crop at ~4/7 of the side costs a third of a large one.
    smallCrops: 2,
    // swav: 2048 -> 2048 -> 128 on a 2048-d trunk; our trunk is 128-d, the head 512 -> 128.
    hiddenDim: 512,
    embeddingDim: 128,
    // swav warms up for 10 of 400-800 epochs; our runs are 10-50 epochs long.
    warmupEpochs: 2,
    // swav: 4.8 -> 0.0048.
    finalLrRatio: 0.001,
    // swav's nmb_kmeans_iters.
    kmeansIterations: 10,
  };
}
