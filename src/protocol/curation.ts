// <run>/curation.json: the user's decisions about the clusters of one checkpoint (names, merges, junk, images
// moved to another cluster). The trainer never writes it and never reads it while training; the extension and
// `deepcluster export` apply it (src/runfolder/curation.ts). Cluster ids are those of checkpoint `epoch`; when a
// newer checkpoint is curated, the decisions are carried over by largest overlap first.

export const CURATION_VERSION = 1;

export interface ClusterDecision {
  /** The label the user gave the cluster (the ImageFolder class folder). */
  name?: string;
  /** Excluded from exports. */
  junk?: boolean;
  /** Merged into this cluster (its name and junk mark apply). */
  mergedInto?: number;
}

export interface CurationFile {
  version: typeof CURATION_VERSION;
  /** The checkpoint epoch whose cluster ids the decisions use. */
  epoch: number;
  /** Keyed by cluster id (decimal). */
  clusters: Record<string, ClusterDecision>;
  /** Image index (decimal) -> the cluster it was moved to. */
  moves: Record<string, number>;
  updated: string;
}

export type ExportFormat = 'imagefolder' | 'csv';
export type ExportMode = 'symlink' | 'copy';
