// The embedding map's host side without vscode: the initial state, and answers to the webview's requests for one
// run folder. The maps themselves come from the trainer (`deepcluster map`, spawned through deps.compute) and are
// read back through src/runfolder/embeddingMap.ts; thumbnails through the same `thumbs` job as the grid.
import type { EmbeddingMapFile, MapMethod } from '../../protocol/embeddingMap';
import type { MapData, MapInit, MapRequest, MapResponses, MapUiState } from '../../protocol/webview';
import { readEmbeddingMap } from '../../runfolder/embeddingMap';
import { readImageNames } from '../../runfolder/imageNames';
import { bytesOfName } from '../../runfolder/fileNames';
import type { ThumbJob } from './gridModel';
import { checkpointEpochs, checkpointManifestPath, missingThumbs, readManifest, thumbsDir } from './runPaths';
import { readCheckpoint } from '../checkpointData';
import { applyEdit } from './curate';

export interface MapDeps {
  runDir: string;
  webviewUri(dir: string): string;
  save(defaultName: string, content: string | Buffer): Promise<string | undefined>;
  makeThumbs(job: ThumbJob, progress: (done: number, total: number) => void): Promise<void>;
  /** Runs `deepcluster map CHECKPOINT --method M`; `requestId` lets `cancel` stop it. */
  compute(
    job: { epoch: number; method: MapMethod; requestId: number },
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<void>;
  cancel(requestId: number): boolean;
}

export function mapData(m: EmbeddingMapFile): MapData {
  const p = m.params;
  const total = m.seconds.features + m.seconds.pca + m.seconds.knn + m.seconds.layout;
  const how =
    m.method === 'umap'
      ? `UMAP of ${p.featureDim}-d features (PCA ${p.pcaDim}), ${p.nNeighbors} neighbours, ${p.epochs} epochs`
      : `first two principal components of ${p.featureDim}-d features`;
  return {
    epoch: m.epoch,
    method: m.method,
    x: m.x,
    y: m.y,
    clusters: m.clusters,
    labels: m.labels,
    caption: `${how} (${total.toFixed(0)} s)`,
  };
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export class MapModel {
  private names: string[] | null | undefined;

  constructor(private readonly deps: MapDeps) {}

  init(epoch?: number, ui?: Partial<MapUiState>): MapInit {
    const epochs = checkpointEpochs(this.deps.runDir);
    if (epochs.length === 0) throw new Error('this run has no checkpoint yet');
    const e = epoch !== undefined && epochs.includes(epoch) ? epoch : epochs.at(-1)!;
    const manifest = readManifest(this.deps.runDir);
    const m = this.read(e, ui?.method ?? 'umap');
    return {
      panel: 'embeddingMap',
      runId: manifest?.id ?? this.deps.runDir,
      runDir: this.deps.runDir,
      checkpoints: epochs,
      epoch: e,
      map: m ? mapData(m) : undefined,
      classNames: m?.classNames ?? manifest?.dataset?.classNames,
      thumbBase: this.deps.webviewUri(thumbsDir(this.deps.runDir)),
      ui,
    };
  }

  private read(epoch: number, method: MapMethod): EmbeddingMapFile | undefined {
    return readEmbeddingMap(this.deps.runDir, epoch, method);
  }

  private pathOf(index: number): string {
    this.names ??= readImageNames(this.deps.runDir) ?? null;
    return this.names?.[index] ?? `${readManifest(this.deps.runDir)?.dataset?.path ?? 'dataset'}#${index}`;
  }

  async handle<R extends MapRequest>(
    req: R,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<MapResponses[R['type']]> {
    return (await this.answer(req, progress)) as MapResponses[R['type']];
  }

  private async answer(
    req: MapRequest,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<MapResponses[MapRequest['type']]> {
    switch (req.type) {
      case 'load': {
        const m = this.read(req.epoch, req.method);
        return { map: m ? mapData(m) : undefined };
      }
      case 'compute': {
        if (!checkpointEpochs(this.deps.runDir).includes(req.epoch))
          throw new Error(`no checkpoint for epoch ${req.epoch}`);
        await this.deps.compute({ epoch: req.epoch, method: req.method, requestId: req.requestId }, progress);
        const m = this.read(req.epoch, req.method);
        if (!m) throw new Error(`the trainer wrote no map for epoch ${req.epoch}`);
        return { map: mapData(m) };
      }
      case 'cancel':
        return { cancelled: this.deps.cancel(req.target) };
      case 'thumbs': {
        const missing = missingThumbs(this.deps.runDir, req.indices);
        if (missing.length) await this.deps.makeThumbs({ epoch: req.epoch, indices: missing }, progress);
        return { made: missing.length };
      }
      case 'names':
        return { names: req.indices.map((i) => this.pathOf(i)) };
      case 'curate': {
        const ck = readCheckpoint(checkpointManifestPath(this.deps.runDir, req.epoch));
        if (!ck) throw new Error(`checkpoint of epoch ${req.epoch} is unreadable`);
        const assignmentsOf = (e: number) =>
          e === req.epoch ? ck.assignments : readCheckpoint(checkpointManifestPath(this.deps.runDir, e))?.assignments;
        applyEdit(this.deps.runDir, req.epoch, ck.manifest.k, ck.manifest.images, assignmentsOf, req.edit);
        return { saved: true };
      }
      case 'exportSelection': {
        const m = this.read(req.epoch, 'umap') ?? this.read(req.epoch, 'pca');
        const rows = req.indices.filter((i) => !m || i < m.images);
        const lines = [
          'index,path,cluster,label',
          ...rows.map(
            (i) =>
              `${i},${csvField(this.pathOf(i))},${m?.clusters[i] ?? ''},${m?.labels ? (m.classNames?.[m.labels[i]!] ?? m.labels[i]) : ''}`,
          ),
        ];
        // A CSV holds a file name's own bytes, so a name that is not UTF-8 still names its file.
        const written = await this.deps.save(`selection-epoch-${req.epoch}.csv`, bytesOfName(lines.join('\n') + '\n'));
        return { written, rows: rows.length };
      }
    }
  }
}
