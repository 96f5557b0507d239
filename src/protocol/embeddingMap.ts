// The embedding map (the Projector beside the clusters): what `deepcluster map` caches in a run and what the
// map panel reads. Types and constants only. One JSON file per checkpoint and method, written atomically:
//   <run>/maps/epoch-0007-umap.json
// Coordinates are scaled into [-1, 1] and rounded to 1e-4 (a 60 000-point map is ~1 MB).

export const MAP_METHODS = ['umap', 'pca'] as const;
export type MapMethod = (typeof MAP_METHODS)[number];

export const EMBEDDING_MAP_VERSION = 1;

export interface EmbeddingMapFile {
  version: typeof EMBEDDING_MAP_VERSION;
  /** `epoch-0007` */
  checkpoint: string;
  epoch: number;
  method: MapMethod;
  /** Number of images (rows of x and y, in the run's dataset order). */
  images: number;
  created: string;
  /** What produced the layout (for reproducing it and for the panel's caption). */
  params: {
    method: MapMethod;
    pcaDim: number;
    nNeighbors?: number;
    epochs?: number;
    minDist?: number;
    seed: number;
    featureDim: number;
  };
  seconds: { features: number; pca: number; knn: number; layout: number };
  x: number[];
  y: number[];
  /** The checkpoint's cluster of each image (the first prototype set for v2). */
  clusters: number[];
  /** Dataset labels per image, when the dataset is labelled. */
  labels?: number[];
  classNames?: string[];
}
