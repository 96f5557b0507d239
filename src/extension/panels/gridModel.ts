// The cluster grid's host side without vscode: builds the initial state and answers the webview's requests for
// one run folder. The panel (clusterGridPanel.ts) plugs in the vscode parts: webview URLs, save dialogs, spawning.
import { join } from 'node:path';
import type { ClusterTypicalImages, TypicalBy } from '../../protocol/analysis';
import type { CurationFile } from '../../protocol/curation';
import type {
  CurationEdit,
  GridEpoch,
  GridInit,
  GridRequest,
  GridResponses,
  GridUiState,
} from '../../protocol/webview';
import { rootOf } from '../../runfolder/curation';
import { applyEdit, curationAt } from './curate';
import { readCheckpoint, type CheckpointView } from '../checkpointData';
import { bytesOfName } from '../../runfolder/fileNames';
import { readImageNames } from '../../runfolder/imageNames';
import { readJsonIfAny as readJson } from '../../runfolder/json';
import { ANALYSIS_FILES, analysisDir } from '../../runfolder/layout';
import { CARD_THUMBS, exportRows, followCluster, gridEpoch, memberPage, rowsToCsv, rowsToJson } from './clusterData';
import {
  checkpointEpochs,
  checkpointManifestPath,
  guardPath,
  missingThumbs,
  readLabelHistograms,
  readManifest,
  thumbsDir,
} from './runPaths';

/** `by`: the typical images of clusters 0..k-1 (`thumbs --clusters`); `indices`: thumbnails of these images. */
export type ThumbJob =
  | { epoch: number; by: TypicalBy; k: number; perCluster: number }
  | { epoch: number; indices: number[] };

export interface GridDeps {
  runDir: string;
  /** The webview URL of a folder inside the panel's roots (asWebviewUri). */
  webviewUri(dir: string): string;
  /** Asks where to save, writes, returns the path (undefined: the user cancelled). */
  save(defaultName: string, content: string | Buffer): Promise<string | undefined>;
  /** Runs the trainer's `thumbs` command: typical images of every cluster (`by`), or thumbnails of `indices`. */
  makeThumbs(job: ThumbJob, progress: (done: number, total: number) => void): Promise<void>;
  /** Asks where and how (symlinks or copies) and runs `deepcluster export`; undefined: the user cancelled. */
  exportCurated?(
    epoch: number,
    format: 'imagefolder' | 'csv',
    progress: (done: number, total: number) => void,
  ): Promise<string | undefined>;
  /** Opens the embedding map panel on this checkpoint (the grid's Map button). */
  openMap?(epoch: number): void;
  /** The file path of dataset image `index` for exports (default: dataset path#index). */
  pathOf?(index: number): string;
}

/** analysis/epoch-NNNN/typical-activation.json: per cluster, the images its top-layer unit scores highest. */
export function activationExemplars(runDir: string, epoch: number): number[][] | undefined {
  let p: string;
  try {
    p = guardPath([runDir], join(analysisDir(runDir, epoch), ANALYSIS_FILES.typical('activation')));
  } catch {
    return undefined; // a link out of the run: ignored like a missing file
  }
  const j = readJson<ClusterTypicalImages>(p);
  if (!j || !Array.isArray(j.clusters)) return undefined;
  const out: number[][] = [];
  for (const c of j.clusters)
    if (Number.isInteger(c?.cluster) && Array.isArray(c.items)) out[c.cluster] = c.items.map((it) => it.index);
  return out;
}

export class GridModel {
  private names: string[] | null | undefined;
  private readonly views = new Map<number, CheckpointView>();

  constructor(private readonly deps: GridDeps) {}

  view(epoch: number): CheckpointView {
    let v = this.views.get(epoch);
    if (!v) {
      v = readCheckpoint(checkpointManifestPath(this.deps.runDir, epoch));
      if (!v) throw new Error(`checkpoint of epoch ${epoch} is unreadable`);
      if (this.views.size > 8) this.views.delete(this.views.keys().next().value!);
      this.views.set(epoch, v);
    }
    return v;
  }

  private epochData(epoch: number): GridEpoch {
    const data = gridEpoch(this.view(epoch), activationExemplars(this.deps.runDir, epoch));
    const c = this.curationAt(epoch);
    if (!c) return data;
    return {
      ...data,
      clusters: data.clusters.map((card) => {
        const root = rootOf(c, card.id);
        const d = c.clusters[root];
        return {
          ...card,
          ...(d?.name ? { name: d.name } : {}),
          ...(d?.junk ? { junk: true } : {}),
          ...(root !== card.id ? { mergedInto: root } : {}),
        };
      }),
    };
  }

  /** The run's curation restated for `epoch` (carried from the checkpoint it was made on by largest overlap). */
  curationAt(epoch: number): CurationFile | undefined {
    return curationAt(this.deps.runDir, epoch, (e) => this.view(e).assignments);
  }

  private curate(epoch: number, edit: CurationEdit): GridEpoch {
    const m = this.view(epoch).manifest;
    applyEdit(this.deps.runDir, epoch, m.k, m.images, (e) => this.view(e).assignments, edit);
    return this.epochData(epoch);
  }

  /** The thumbnails' folder URL once every card image of this epoch has its file, else undefined. */
  private thumbBase(data: GridEpoch): string | undefined {
    const need = data.clusters.flatMap((c) => [...c.nearest, ...(c.activation ?? [])]);
    return missingThumbs(this.deps.runDir, need).length === 0
      ? this.deps.webviewUri(thumbsDir(this.deps.runDir))
      : undefined;
  }

  init(epoch?: number, ui?: Partial<GridUiState>): GridInit {
    const epochs = checkpointEpochs(this.deps.runDir);
    if (epochs.length === 0) throw new Error('this run has no checkpoint yet');
    const e = epoch !== undefined && epochs.includes(epoch) ? epoch : epochs.at(-1)!;
    const data = this.epochData(e);
    const manifest = readManifest(this.deps.runDir);
    return {
      panel: 'clusterGrid',
      runId: manifest?.id ?? this.deps.runDir,
      runDir: this.deps.runDir,
      checkpoints: epochs,
      classNames: readLabelHistograms(this.view(e).dir)?.classNames ?? manifest?.dataset?.classNames,
      thumbBase: this.thumbBase(data),
      ui,
      ...data,
    };
  }

  private pathOf(index: number): string {
    if (this.deps.pathOf) return this.deps.pathOf(index);
    this.names ??= readImageNames(this.deps.runDir) ?? null;
    if (this.names?.[index]) return this.names[index];
    const ds = readManifest(this.deps.runDir)?.dataset?.path ?? 'dataset';
    return `${ds}#${index}`;
  }

  async handle<R extends GridRequest>(
    req: R,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<GridResponses[R['type']]> {
    return (await this.answer(req, progress)) as GridResponses[R['type']];
  }

  private async answer(
    req: GridRequest,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<GridResponses[GridRequest['type']]> {
    switch (req.type) {
      case 'loadEpoch':
        return this.epochData(req.epoch);
      case 'members': {
        const v = this.view(req.epoch);
        if (req.cluster >= v.manifest.k) throw new Error(`no cluster ${req.cluster} at epoch ${req.epoch}`);
        const page = memberPage(v, req.cluster, req.offset, req.limit);
        const missing = missingThumbs(
          this.deps.runDir,
          page.members.map((m) => m.index),
        );
        if (missing.length) await this.deps.makeThumbs({ epoch: req.epoch, indices: missing }, progress);
        return page;
      }
      case 'follow': {
        const epochs = checkpointEpochs(this.deps.runDir);
        return followCluster(
          epochs,
          (e) => {
            const v = this.view(e);
            return v.assignments ? { assignments: v.assignments, k: v.manifest.k } : undefined;
          },
          req.epoch,
          req.cluster,
        );
      }
      case 'export': {
        const v = this.view(req.epoch);
        const clusters = req.clusters.filter((c) => c < v.manifest.k);
        const rows = exportRows(v, clusters, (i) => this.pathOf(i));
        const name =
          clusters.length === 1 ? `cluster-${clusters[0]}-epoch-${req.epoch}` : `clusters-epoch-${req.epoch}`;
        const written = await this.deps.save(
          `${name}.${req.format}`,
          req.format === 'csv' ? csvBytes(rowsToCsv(rows)) : rowsToJson(req.epoch, rows),
        );
        return { written, rows: rows.length };
      }
      case 'curate':
        return this.curate(req.epoch, req.edit);
      case 'exportCurated': {
        if (!this.deps.exportCurated) throw new Error('exporting curated clusters is not available here');
        return { written: await this.deps.exportCurated(req.epoch, req.format, progress) };
      }
      case 'openMap':
        if (!checkpointEpochs(this.deps.runDir).includes(req.epoch))
          throw new Error(`no checkpoint for epoch ${req.epoch}`);
        this.deps.openMap?.(req.epoch);
        return { opened: !!this.deps.openMap };
      case 'thumbs': {
        let data = this.epochData(req.epoch);
        const wantActivation = req.view === 'activation' && !data.clusters.some((c) => c.activation);
        if (wantActivation || !this.thumbBase(data)) {
          await this.deps.makeThumbs(
            { epoch: req.epoch, by: wantActivation ? 'activation' : 'centroid', k: data.k, perCluster: CARD_THUMBS },
            progress,
          );
          data = this.epochData(req.epoch);
          // `thumbs --clusters` writes the typical images; the exemplars of exemplars.json may still lack files.
          const missing = missingThumbs(
            this.deps.runDir,
            data.clusters.flatMap((c) => [...c.nearest, ...(c.activation ?? [])]),
          );
          if (missing.length) await this.deps.makeThumbs({ epoch: req.epoch, indices: missing }, progress);
        }
        return { thumbBase: this.thumbBase(data), epoch: data };
      }
    }
  }
}

/** A CSV holds a file name's own bytes, so a name that is not UTF-8 still names its file (JSON escapes it). */
const csvBytes = (csv: string): Buffer => bytesOfName(csv);
