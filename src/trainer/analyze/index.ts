// Analysis of a checkpoint for the panels: filter visualisation by gradient ascent, top-activating images,
// cluster thumbnails. Read-only on the checkpoint; every output written atomically under <run>/analysis and
// <run>/thumbs (layout: src/protocol/analysis.ts).
export { visualize, type VisualizeRequest, type VisualizeResult, type AnalysisIO } from './visualizeCommand';
export { thumbs, type ThumbsRequest } from './thumbsCommand';
export { maximizeFilters, initialNoise, type FilterImage, type AscentOptions } from './gradientAscent';
export { DEFAULT_ASCENT, OFFICIAL_ASCENT, stepLength } from './ascentParams';
export {
  topActivatingImages,
  topImagesByClusterUnit,
  rankImagesPerUnit,
  type EvalSource,
  type UnitTop,
} from './topActivations';
export { RunningTopK } from './runningTopK';
export { ensureThumbnails, type PixelSource, type Thumbnail } from './thumbnails';
export { deprocessImage } from './deprocess';
export { gaussianBlur, gaussianKernel1d } from './gaussianBlur';
export { layerResponseFn } from './layerResponse';
export { openCheckpointContext, locateCheckpoint, type CheckpointContext } from './checkpointContext';
export { AnalysisError } from './errors';
export { parseIndexList } from './indexList';
