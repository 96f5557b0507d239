// The clustering phase of a DeepCluster epoch: PCA whitening + L2, k-means (or PIC), pseudo-labels, sampler.
export { pcaWhiten, fitPca, applyPca, whiteningMatrix, type PcaTransform, type PcaResult } from './pca';
export { kmeans, initialCentroids, type KmeansOptions, type KmeansResult } from './kmeans';
export { pic, type PicOptions, type PicResult } from './pic';
export { knnGraph, type KnnGraph } from './knnGraph';
export { imagesLists, assignmentsFromLists } from './pseudoLabels';
export { uniformSampler, officialSampler, drawPerCluster, type Sample } from './sampler';
export { Rng, randomInt, shuffle, type Random, type RngState } from './rng';
export { faissRandPerm, Mt19937 } from './faissRandom';
export { splitEmptyClusters } from './splitClusters';
export { topEigenpairs } from './eigen';
export type { FeatureMatrix, HostMatrix } from './features';
