// What is measured of each clustering, whichever the recipe: NMI against the previous epoch's clustering (the
// paper's stability curve), and against the labels when the dataset has them, with ARI, accuracy and purity.
import type { EpochMetrics } from '../../protocol/events';
import { hungarianAccuracy, purity } from './accuracy';
import { ari } from './ari';
import { clusterSizes } from './clusterSizes';
import { nmi } from './nmi';

export type ClusterMetrics = Omit<EpochMetrics, 'epoch' | 'loss' | 'seconds'>;

export function clusterMetrics(
  assignments: Int32Array,
  k: number,
  previous: Int32Array | undefined,
  labels: Int32Array | undefined,
  objective?: number,
): ClusterMetrics {
  return {
    clusteringObjective: objective,
    nmiPrev: previous ? nmi(assignments, previous, 'geometric') : undefined,
    nmiLabels: labels ? nmi(assignments, labels, 'geometric') : undefined,
    nmiLabelsArithmetic: labels ? nmi(assignments, labels, 'arithmetic') : undefined,
    ari: labels ? ari(assignments, labels) : undefined,
    accuracy: labels ? hungarianAccuracy(assignments, labels) : undefined,
    purity: labels ? purity(assignments, labels) : undefined,
    clusters: clusterSizes(assignments, k),
  };
}
