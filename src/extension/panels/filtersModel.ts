// The filter panel's host side without vscode: the conv layers of a checkpoint, the cached results of
// `deepcluster visualize` (src/protocol/analysis.ts layout), and the on-demand computation through deps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FilterAscentResult, TopActivations } from '../../protocol/analysis';
import type {
  ConvLayer,
  FilterResult,
  FiltersInit,
  FiltersRequest,
  FiltersResponses,
  FiltersUiState,
} from '../../protocol/webview';
import { readCheckpoint } from '../checkpointData';
import { readJsonIfAny as readJson } from '../../runfolder/json';
import { ANALYSIS_FILES, filterFileStem, layerAnalysisDir, thumbnailFile } from '../../runfolder/layout';
import type { ThumbJob } from './gridModel';
import {
  checkpointEpochs,
  checkpointManifestPath,
  guardPath,
  missingThumbs,
  readManifest,
  THUMB_SIZE,
} from './runPaths';

export interface FiltersDeps {
  runDir: string;
  webviewUri(file: string): string;
  /** Runs `deepcluster visualize CHECKPOINT --layer L --filters from-to --json`; rejects on failure or cancel. */
  visualize(
    job: { epoch: number; layer: string; from: number; to: number; requestId: number },
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<void>;
  /** Stops the visualize run of request `requestId`, if one is running. */
  cancel(requestId: number): boolean;
  makeThumbs(job: ThumbJob, progress: (done: number, total: number) => void): Promise<void>;
}

/**
 * Conv layers of a checkpoint: rank-4 weights (kh, kw, in, out) named `<layer>.weight` or `<layer>/kernel`;
 * out = filters. The fixed Sobel front is not a learned layer, so it is left out.
 */
export function convLayers(weights: { name: string; shape: number[] }[]): ConvLayer[] {
  const out: ConvLayer[] = [];
  for (const w of weights) {
    const name = w.name.replace(/([./])(weight|kernel)$/, '');
    if (w.shape.length === 4 && name !== w.name && !/sobel/i.test(name)) out.push({ name, filters: w.shape[3]! });
  }
  return out;
}

export class FiltersModel {
  constructor(private readonly deps: FiltersDeps) {}

  layers(epoch: number): ConvLayer[] {
    const v = readCheckpoint(checkpointManifestPath(this.deps.runDir, epoch));
    return v ? convLayers(v.layers.flatMap((l) => l.weights)) : [];
  }

  private layerDir(epoch: number, layer: string): string {
    if (!this.layers(epoch).some((l) => l.name === layer)) throw new Error(`no conv layer ${layer} at epoch ${epoch}`);
    return guardPath([this.deps.runDir], layerAnalysisDir(this.deps.runDir, epoch, layer));
  }

  /** What is cached for these filters; a filter without its image JSON is absent from the result. */
  cached(epoch: number, layer: string, from: number, to: number): FilterResult[] {
    const dir = this.layerDir(epoch, layer);
    const top = readJson<TopActivations>(join(dir, ANALYSIS_FILES.topActivations));
    const out: FilterResult[] = [];
    for (let f = from; f <= to; f++) {
      const meta = readJson<FilterAscentResult>(join(dir, `${filterFileStem(f)}.json`));
      const png = join(dir, `${filterFileStem(f)}.png`);
      if (!meta || !existsSync(png)) continue;
      const t = top?.filters.find((x) => x.filter === f);
      const indices = (t?.indices ?? []).slice(0, 9);
      out.push({
        filter: f,
        image: this.deps.webviewUri(guardPath([this.deps.runDir], png)),
        top: indices.map((i) => this.deps.webviewUri(thumbnailFile(this.deps.runDir, THUMB_SIZE, i))),
        activations: t?.scores.slice(0, 9),
      });
    }
    return out;
  }

  init(epoch?: number, ui?: Partial<FiltersUiState>): FiltersInit {
    const epochs = checkpointEpochs(this.deps.runDir);
    if (epochs.length === 0) throw new Error('this run has no checkpoint yet');
    const e = epoch !== undefined && epochs.includes(epoch) ? epoch : epochs.at(-1)!;
    const layers = this.layers(e);
    const layer = ui?.layer && layers.some((l) => l.name === ui.layer) ? ui.layer : layers[0]?.name;
    const from = ui?.from ?? 0;
    const to = ui?.to ?? Math.min(15, (layers.find((l) => l.name === layer)?.filters ?? 16) - 1);
    return {
      panel: 'filters',
      runId: readManifest(this.deps.runDir)?.id ?? this.deps.runDir,
      runDir: this.deps.runDir,
      checkpoints: epochs,
      epoch: e,
      layers,
      cached: layer ? this.cached(e, layer, from, to) : [],
      ui: { ...ui, epoch: e, layer, from, to },
    };
  }

  async handle<R extends FiltersRequest>(
    req: R,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<FiltersResponses[R['type']]> {
    return (await this.answer(req, progress)) as FiltersResponses[R['type']];
  }

  private async answer(
    req: FiltersRequest,
    progress: (done: number, total: number, message?: string) => void,
  ): Promise<FiltersResponses[FiltersRequest['type']]> {
    switch (req.type) {
      case 'layers':
        return { layers: this.layers(req.epoch) };
      case 'visualize': {
        const layer = this.layers(req.epoch).find((l) => l.name === req.layer);
        if (!layer) throw new Error(`no conv layer ${req.layer} at epoch ${req.epoch}`);
        const to = Math.min(req.to, layer.filters - 1);
        if (req.from > to) throw new Error(`${req.layer} has ${layer.filters} filters`);
        let results = this.cached(req.epoch, req.layer, req.from, to);
        const cached = results.length === to - req.from + 1;
        if (!cached) {
          await this.deps.visualize(
            { epoch: req.epoch, layer: req.layer, from: req.from, to, requestId: req.requestId },
            progress,
          );
          results = this.cached(req.epoch, req.layer, req.from, to);
        }
        const top = readJson<TopActivations>(join(this.layerDir(req.epoch, req.layer), ANALYSIS_FILES.topActivations));
        const indices = (top?.filters ?? [])
          .filter((f) => f.filter >= req.from && f.filter <= to)
          .flatMap((f) => f.indices.slice(0, 9));
        const missing = missingThumbs(this.deps.runDir, indices);
        if (missing.length) await this.deps.makeThumbs({ epoch: req.epoch, indices: missing }, progress);
        return { results, cached };
      }
      case 'cancel':
        return { cancelled: this.deps.cancel(req.target) };
    }
  }
}
