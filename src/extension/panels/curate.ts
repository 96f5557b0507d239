// One curation decision from a panel (grid or map), applied to the run's curation.json: checks the ids against
// the checkpoint, carries older decisions to this epoch by largest overlap, writes atomically. No vscode.
import type { CurationEdit } from '../../protocol/webview';
import {
  emptyCuration,
  markJunk,
  mergeClusters,
  moveImage,
  readCuration,
  rebaseCuration,
  renameCluster,
  writeCuration,
} from '../../runfolder/curation';
import type { CurationFile } from '../../protocol/curation';

/** The run's curation restated for `epoch`; undefined when there is none (or an epoch's assignments are gone). */
export function curationAt(
  runDir: string,
  epoch: number,
  assignmentsOf: (epoch: number) => Int32Array | undefined,
): CurationFile | undefined {
  const c = readCuration(runDir);
  if (!c || c.epoch === epoch) return c;
  const from = assignmentsOf(c.epoch);
  const to = assignmentsOf(epoch);
  return from && to ? rebaseCuration(c, from, to, epoch) : undefined;
}

export function applyEdit(
  runDir: string,
  epoch: number,
  k: number,
  images: number,
  assignmentsOf: (epoch: number) => Int32Array | undefined,
  edit: CurationEdit,
): CurationFile {
  const ids = edit.action === 'merge' ? [...edit.clusters, edit.into] : [edit.cluster];
  const bad = ids.find((c) => c >= k);
  if (bad !== undefined) throw new Error(`no cluster ${bad} at epoch ${epoch} (it has ${k})`);
  const badImage = edit.action === 'move' ? edit.indices.find((i) => i >= images) : undefined;
  if (badImage !== undefined) throw new Error(`no image ${badImage} (the run has ${images})`);
  let c = curationAt(runDir, epoch, assignmentsOf) ?? emptyCuration(epoch);
  if (edit.action === 'rename') c = renameCluster(c, edit.cluster, edit.name);
  else if (edit.action === 'junk') c = markJunk(c, edit.cluster, edit.junk);
  else if (edit.action === 'merge') c = mergeClusters(c, edit.clusters, edit.into);
  else for (const i of edit.indices) c = moveImage(c, i, edit.cluster);
  writeCuration(runDir, c);
  return c;
}
