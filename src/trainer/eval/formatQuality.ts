// The quality report as text (the CLI's table). No tfjs here: `inspect` uses it.
import type { QualityReport } from '../../protocol/events';

export function formatQualityReport(r: QualityReport): string[] {
  const f = (v: number) => v.toFixed(3);
  return [
    `quality (${r.classes} classes; ${r.trainImages} training images, ${r.heldOut} held out: ${r.split}):`,
    `  features     dim   kNN-20   k-means NMI (5 seeds)   linear probe`,
    ...r.rows.map(
      (row) =>
        `  ${row.features.padEnd(10)} ${String(row.dim).padStart(5)}   ${f(row.knn20)}    ${f(row.kmeansNmi)} ± ${f(row.kmeansNmiStd)}          ${f(row.linearProbe)}`,
    ),
  ];
}
