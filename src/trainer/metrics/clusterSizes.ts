// Cluster sizes: the summary logged every epoch (EpochMetrics.clusters) and the one `inspect` shows.

export interface ClusterSizes {
  k: number;
  /** Clusters with no member. */
  empty: number;
  largest: number;
  /** Smallest NON-EMPTY cluster (0 only when every cluster is empty); `empty` counts the empty ones. */
  smallest: number;
}

export function clusterSizes(assignments: ArrayLike<number>, k: number): ClusterSizes {
  const counts = new Int32Array(k);
  for (let i = 0; i < assignments.length; i++) counts[assignments[i]]++;
  let empty = 0;
  let largest = 0;
  let smallest = Infinity;
  for (const c of counts) {
    if (c === 0) empty++;
    else smallest = Math.min(smallest, c);
    largest = Math.max(largest, c);
  }
  return { k, empty, largest, smallest: Number.isFinite(smallest) ? smallest : 0 };
}

/** What `inspect` shows of an assignment: clusterSizes plus the image count and the median cluster size. */
export interface ClusterSizeSummary extends ClusterSizes {
  images: number;
  /** Median size over all k clusters (empty ones count as 0). */
  median: number;
}

export function clusterSizeSummary(assignments: ArrayLike<number>, k: number): ClusterSizeSummary {
  const counts = new Int32Array(k);
  for (let i = 0; i < assignments.length; i++) counts[assignments[i]]++;
  const sorted = Array.from(counts).sort((a, b) => a - b);
  return {
    ...clusterSizes(assignments, k),
    images: assignments.length,
    median: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0,
  };
}
