// Export Cluster Assignments: one row per image (index, cluster, and its label when the run has labels).
import type { CheckpointView } from './checkpointData';

export interface AssignmentRow {
  index: number;
  cluster: number;
}

export function assignmentRows(view: CheckpointView): AssignmentRow[] {
  return Array.from(view.assignments ?? [], (cluster, index) => ({ index, cluster }));
}

/** CSV with the image's name (file path for image folders, from the run's images.txt) when known. */
export function toCsv(view: CheckpointView, names?: string[]): string {
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [names ? 'index,cluster,path' : 'index,cluster'];
  for (const r of assignmentRows(view))
    lines.push(names ? `${r.index},${r.cluster},${quote(names[r.index] ?? '')}` : `${r.index},${r.cluster}`);
  return lines.join('\n') + '\n';
}

export function toJson(view: CheckpointView, names?: string[]): string {
  const clusters = view.clusters.map((c) => ({
    cluster: c.index,
    size: c.size,
    topLabel: c.topLabel,
    purity: c.purity,
  }));
  return (
    JSON.stringify(
      {
        epoch: view.manifest.epoch,
        k: view.manifest.k,
        images: view.manifest.images,
        clusters,
        assignments: Array.from(view.assignments ?? []),
        ...(names ? { paths: names } : {}),
      },
      null,
      1,
    ) + '\n'
  );
}
