// Clustering quality metrics logged every epoch (issue item 3), and the final kNN evaluation.
export { nmi, type NmiNormaliser } from './nmi';
export { ari } from './ari';
export { hungarianAccuracy, purity } from './accuracy';
export { clusterSizes, clusterSizeSummary, type ClusterSizes, type ClusterSizeSummary } from './clusterSizes';
export { clusterMetrics, type ClusterMetrics } from './clusterMetrics';
export { knnAccuracy, type KnnOptions } from './knnAccuracy';
export { maxWeightMatching } from './hungarian';
export { contingency, type Contingency } from './contingency';
