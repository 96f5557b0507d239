// The user's curation as the runs tree shows it: per cluster of one checkpoint, its name, junk mark and the
// cluster it was merged into (decisions made on another checkpoint carried over by largest overlap). A missing
// or unreadable curation.json shows nothing: the tree never fails over the user's sidecar.
import { dirname } from 'node:path';
import { readAssignments } from '../runfolder/curatedExport';
import { rootOf } from '../runfolder/curation';
import { curationAt } from './panels/curate';
import type { CheckpointRef } from '../runfolder/checkpoints';

export interface TreeDecision {
  name?: string;
  junk?: boolean;
  mergedInto?: number;
}

export function treeDecisions(ckpt: CheckpointRef, assignments: Int32Array | undefined): Map<number, TreeDecision> {
  const out = new Map<number, TreeDecision>();
  const runDir = dirname(dirname(ckpt.dir));
  try {
    const c = curationAt(runDir, ckpt.epoch, (e) => (e === ckpt.epoch ? assignments : readAssignments(runDir, e)));
    if (!c) return out;
    const ids = new Set([
      ...Object.keys(c.clusters).map(Number),
      ...Object.values(c.clusters).flatMap((d) => (d.mergedInto !== undefined ? [d.mergedInto] : [])),
    ]);
    for (const id of ids) {
      const root = rootOf(c, id);
      const d = c.clusters[root];
      out.set(id, {
        ...(d?.name ? { name: d.name } : {}),
        ...(d?.junk ? { junk: true } : {}),
        ...(root !== id ? { mergedInto: root } : {}),
      });
    }
  } catch {
    // A bad curation.json is reported where it is used (export, panels); the tree shows the clusters as they are.
  }
  return out;
}
