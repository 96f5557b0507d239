// Export Cluster Assignments: one row per image (index, cluster, and its label when the run has labels).
import type { CheckpointView } from './checkpointData';

export interface AssignmentRow {
  index: number;
  cluster: number;
}

export function assignmentRows(view: CheckpointView): AssignmentRow[] {
  return Array.from(view.assignments ?? [], (cluster, index) => ({ index, cluster }));
}

export function toCsv(view: CheckpointView): string {
  const lines = ['index,cluster'];
  for (const r of assignmentRows(view)) lines.push(`${r.index},${r.cluster}`);
  return lines.join('\n') + '\n';
}

export function toJson(view: CheckpointView): string {
  const clusters = view.clusters.map((c) => ({ cluster: c.index, size: c.size, topLabel: c.topLabel, purity: c.purity }));
  return JSON.stringify({ epoch: view.manifest.epoch, k: view.manifest.k, images: view.manifest.images, clusters, assignments: Array.from(view.assignments ?? []) }, null, 1) + '\n';
}
