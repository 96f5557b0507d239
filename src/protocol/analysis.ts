// What `deepcluster visualize`, `thumbs` (and the events of `map` and `export`) write into a run directory and print, shared by the
// trainer (the only writer), the extension and the webviews. Types and constants only.
//
//   <run>/analysis/<checkpoint>/<layer>/filter-0003.png   gradient-ascent image of filter 3 (grey or RGB)
//   <run>/analysis/<checkpoint>/<layer>/filter-0003.json  FilterAscentResult of that image
//   <run>/analysis/<checkpoint>/<layer>/top.json          TopActivations: top images of every filter of the layer
//   <run>/analysis/<checkpoint>/typical-<by>.json         ClusterTypicalImages (thumbs --clusters)
//   <run>/thumbs/s<size>/<index>.png                      thumbnail of dataset image <index> (run's dataset order)
// The paths themselves: src/runfolder/layout.ts. Every file is written to a temp name and renamed, so readers and concurrent writers never see half a file.
// Paths inside the JSON files are relative to the run directory, with '/' separators.

/** Gradient-ascent settings in the official code's units (visu/gradient_ascent.py), before size scaling. */
export interface AscentParams {
  /** Step length, in the official units: L2 norm of a step over a 224x224x3 image. */
  lr: number;
  /** Weight decay on the normalised image the network sees (objective - wd * ||x||^2). */
  wd: number;
  /** Gaussian blur sigma in pixels, applied every `blurEvery` iterations (iteration 0 included). */
  sigma: number;
  blurEvery: number;
  iterations: number;
  /** Seed of the initial noise (pixels 128 +- 20). */
  seed: number;
}

/** filter-NNNN.json: how the image of one filter was made and what it achieved. */
export interface FilterAscentResult {
  layer: string;
  filter: number;
  /** Relative path of the PNG. */
  image: string;
  params: AscentParams;
  /** Step length actually used per iteration at this input size (lr scaled to the pixel count). */
  stepLength: number;
  /** Mean post-ReLU activation of the filter on the initial noise and on the final image. */
  activationStart: number;
  activationEnd: number;
  /** Softmax probability of the filter among the layer's channels (the objective's view) at the end. */
  probabilityEnd: number;
  /** The filter was dead on the image at some iteration, so the pre-BatchNorm conv output drove the ascent there. */
  usedPreBatchNorm: boolean;
  seconds: number;
}

/** top.json: for every filter of a layer, the dataset images with the highest mean post-ReLU activation. */
export interface TopActivations {
  checkpoint: string;
  layer: string;
  /** Images ranked per filter (the `--top` count). */
  count: number;
  /** Images scanned (the whole dataset of the run). */
  images: number;
  filters: {
    filter: number;
    /** Dataset indices, best first. */
    indices: number[];
    /** Spatial mean of the post-ReLU activation, same order. */
    scores: number[];
  }[];
}

export type TypicalBy = 'centroid' | 'activation';

/** typical-<by>.json and the result of `thumbs --clusters`: the most typical images of each cluster. */
export interface ClusterTypicalImages {
  checkpoint: string;
  by: TypicalBy;
  /** Thumbnail side in pixels; `thumbs` entries point at thumbnails of this size. */
  size: number;
  clusters: {
    cluster: number;
    /** Members of the cluster in this checkpoint's assignment. */
    members: number;
    /** centroid: distance to the centroid in the clustering space; activation: logit of the cluster's unit. */
    items: { index: number; score: number; thumb: string; cluster: number }[];
  }[];
}

/** Result of `thumbs --indices`. */
export interface ThumbnailIndex {
  size: number;
  thumbs: { index: number; thumb: string }[];
}

/** JSON lines printed by `visualize --json` and `thumbs --json` on stdout. The last line is `result` or `error`. */
export type AnalysisEvent =
  | {
      type: 'progress';
      phase:
        | 'load'
        | 'top-activations'
        | 'gradient-ascent'
        | 'top-layer'
        | 'thumbnails'
        | 'features'
        | 'pca'
        | 'knn'
        | 'layout'
        | 'export';
      done: number;
      total: number;
    }
  | { type: 'filter'; result: FilterAscentResult; cached: boolean }
  | {
      type: 'result';
      command: 'visualize';
      dir: string;
      layer: string;
      filters: FilterAscentResult[];
      top: string;
      seconds: number;
    }
  | { type: 'result'; command: 'thumbs'; index: ThumbnailIndex | ClusterTypicalImages; file?: string; seconds: number }
  | { type: 'result'; command: 'map'; file: string; images: number; cached: boolean; seconds: number }
  | { type: 'result'; command: 'export'; out: string; images: number; classes: number; seconds: number }
  | { type: 'error'; message: string };
