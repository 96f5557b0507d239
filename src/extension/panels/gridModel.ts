// The cluster grid's host side without vscode: builds the initial state and answers the webview's requests for
// one run folder. The panel (clusterGridPanel.ts) plugs in the vscode parts: webview URLs, save dialogs, spawning.
import { join } from 'node:path';
import type { GridInit, GridRequest, GridResponses, GridUiState } from '../../protocol/webview';
import { readCheckpoint, type CheckpointView } from '../checkpointData';
import { readJson } from '../runFiles';
import { exportRows, followCluster, gridEpoch, memberPage, rowsToCsv, rowsToJson } from './clusterData';
import { checkpointEpochs, checkpointManifestPath, guardPath, hasThumbs, readLabelHistograms, readManifest, thumbsDir } from './runPaths';

export interface GridDeps {
  runDir: string;
  /** The webview URL of a folder inside the panel's roots (asWebviewUri). */
  webviewUri(dir: string): string;
  /** Asks where to save, writes, returns the path (undefined: the user cancelled). */
  save(defaultName: string, content: string): Promise<string | undefined>;
  /** Writes <run>/thumbs/<index>.png for the run's images (the trainer's `thumbs` command). */
  makeThumbs(epoch: number, progress: (done: number, total: number) => void): Promise<void>;
  /** The file path of dataset image `index` for exports (default: dataset path#index). */
  pathOf?(index: number): string;
}

/** <run>/analysis/epoch-NNNN/top-activations.json: per cluster, the images its top-layer unit fires on most. */
export function activationExemplars(runDir: string, epoch: number): number[][] | undefined {
  const p = join(runDir, 'analysis', `epoch-${String(epoch).padStart(4, '0')}`, 'top-activations.json');
  const j = readJson<{ clusters?: unknown }>(guardPath([runDir], p));
  return Array.isArray(j?.clusters) && j.clusters.every((c) => Array.isArray(c)) ? (j.clusters as number[][]) : undefined;
}

export class GridModel {
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

  thumbBase(): string | undefined {
    return hasThumbs(this.deps.runDir) ? this.deps.webviewUri(thumbsDir(this.deps.runDir)) : undefined;
  }

  init(epoch?: number, ui?: Partial<GridUiState>): GridInit {
    const epochs = checkpointEpochs(this.deps.runDir);
    if (epochs.length === 0) throw new Error('this run has no checkpoint yet');
    const e = epoch !== undefined && epochs.includes(epoch) ? epoch : epochs.at(-1)!;
    const v = this.view(e);
    const manifest = readManifest(this.deps.runDir);
    return {
      panel: 'clusterGrid',
      runId: manifest?.id ?? this.deps.runDir,
      runDir: this.deps.runDir,
      checkpoints: epochs,
      classNames: readLabelHistograms(v.dir)?.classNames ?? manifest?.dataset?.classNames,
      thumbBase: this.thumbBase(),
      ui,
      ...gridEpoch(v, activationExemplars(this.deps.runDir, e)),
    };
  }

  private pathOf(index: number): string {
    if (this.deps.pathOf) return this.deps.pathOf(index);
    const ds = readManifest(this.deps.runDir)?.dataset?.path ?? 'dataset';
    return `${ds}#${index}`;
  }

  async handle<R extends GridRequest>(req: R, progress: (done: number, total: number, message?: string) => void): Promise<GridResponses[R['type']]> {
    return (await this.answer(req, progress)) as GridResponses[R['type']];
  }

  private async answer(req: GridRequest, progress: (done: number, total: number, message?: string) => void): Promise<GridResponses[GridRequest['type']]> {
    switch (req.type) {
      case 'loadEpoch':
        return gridEpoch(this.view(req.epoch), activationExemplars(this.deps.runDir, req.epoch));
      case 'members': {
        const v = this.view(req.epoch);
        if (req.cluster >= v.manifest.k) throw new Error(`no cluster ${req.cluster} at epoch ${req.epoch}`);
        return memberPage(v, req.cluster, req.offset, req.limit);
      }
      case 'follow': {
        const epochs = checkpointEpochs(this.deps.runDir);
        return followCluster(epochs, (e) => {
          const v = this.view(e);
          return v.assignments ? { assignments: v.assignments, k: v.manifest.k } : undefined;
        }, req.epoch, req.cluster);
      }
      case 'export': {
        const v = this.view(req.epoch);
        const clusters = req.clusters.filter((c) => c < v.manifest.k);
        const rows = exportRows(v, clusters, (i) => this.pathOf(i));
        const name = clusters.length === 1 ? `cluster-${clusters[0]}-epoch-${req.epoch}` : `clusters-epoch-${req.epoch}`;
        const written = await this.deps.save(`${name}.${req.format}`, req.format === 'csv' ? rowsToCsv(rows) : rowsToJson(req.epoch, rows));
        return { written, rows: rows.length };
      }
      case 'thumbs':
        if (!this.thumbBase()) await this.deps.makeThumbs(req.epoch, progress);
        return { thumbBase: this.thumbBase() };
    }
  }
}
