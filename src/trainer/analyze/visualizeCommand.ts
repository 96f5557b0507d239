// `deepcluster visualize CHECKPOINT --layer conv3 [--filters 0-15] [--top 9]`: for one conv layer of a
// checkpoint, the gradient-ascent image of each asked filter and the top images of every filter, cached in
// <run>/analysis/<checkpoint>/<layer>/. Filters whose image was made with the same settings are skipped.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AnalysisEvent, AscentParams, FilterAscentResult, TopActivations } from '../../protocol/analysis';
import type { BackendRequest } from '../../protocol/config';
import { writeFileAtomic, writeJsonAtomic } from '../../runfolder/atomic';
import { ANALYSIS_FILES, analysisRelPath, filterFileStem, layerAnalysisDir } from '../../runfolder/layout';
import { DEFAULT_ASCENT, stepLength } from './ascentParams';
import { openCheckpointContext, type CheckpointContext } from './checkpointContext';
import { deprocessImage } from './deprocess';
import { AnalysisError } from './errors';
import { maximizeFilters, type FilterImage } from './gradientAscent';
import { encodePng } from './png';
import { topActivatingImages } from './topActivations';

export interface VisualizeRequest {
  /** Checkpoint folder, or a run folder (its newest complete checkpoint). */
  target: string;
  layer: string;
  /** Filter indices; undefined: every filter of the layer. */
  filters?: number[];
  /** Top images per filter (default 9, as activ-retrieval.py). */
  top?: number;
  backend?: BackendRequest;
  /** Gradient-ascent settings (default DEFAULT_ASCENT). */
  ascent?: Partial<AscentParams>;
}

export interface AnalysisIO {
  /** A machine-readable event (a JSON line on stdout with --json). */
  emit(event: AnalysisEvent): void;
  /** A line for people. */
  log(line: string): void;
}

export interface VisualizeResult {
  dir: string;
  filters: FilterAscentResult[];
  top: TopActivations;
}

export async function visualize(req: VisualizeRequest, io: AnalysisIO): Promise<VisualizeResult> {
  const started = performance.now();
  const ctx = await openCheckpointContext(req.target, { backend: req.backend, log: io.log });
  try {
    const layers = ctx.net.convLayerNames();
    if (!layers.includes(req.layer))
      throw new AnalysisError(`--layer ${req.layer}: ${ctx.net.options.arch} has ${layers.join(', ')}`);
    const channels = ctx.net.namedWeights().get(`${req.layer}.bias`)!.shape[0];
    const filters = req.filters ?? Array.from({ length: channels }, (_, i) => i);
    const bad = filters.find((f) => f >= channels);
    if (bad !== undefined)
      throw new AnalysisError(`--filters: ${req.layer} has ${channels} filters (0-${channels - 1}), got ${bad}`);
    const dir = layerAnalysisDir(ctx.runDir, ctx.name, req.layer);
    await fs.mkdir(dir, { recursive: true });

    const top = await ensureTopActivations(ctx, dir, req.layer, req.top ?? 9, io);
    const params: AscentParams = { ...DEFAULT_ASCENT, ...req.ascent };
    const results = await ensureFilterImages(ctx, dir, req.layer, filters, params, io);
    const seconds = (performance.now() - started) / 1000;
    io.emit({
      type: 'result',
      command: 'visualize',
      dir,
      layer: req.layer,
      filters: results,
      top: path.join(dir, ANALYSIS_FILES.topActivations),
      seconds,
    });
    io.log(
      `${req.layer} of ${ctx.name}: ${results.length} filter image(s) and top-${top.count} images in ${dir} (${seconds.toFixed(1)} s)`,
    );
    return { dir, filters: results, top };
  } finally {
    await ctx.close();
  }
}

/** top.json, reused when it ranks at least `count` images per filter over the same dataset. */
async function ensureTopActivations(
  ctx: CheckpointContext,
  dir: string,
  layer: string,
  count: number,
  io: AnalysisIO,
): Promise<TopActivations> {
  const file = path.join(dir, ANALYSIS_FILES.topActivations);
  const cached = await readJsonOrUndefined<TopActivations>(file);
  if (cached && cached.count >= count && cached.images === ctx.dataset.size) return cached;
  io.log(`ranking ${ctx.dataset.size} images by ${layer} activation`);
  const progress = throttled((done, total) => io.emit({ type: 'progress', phase: 'top-activations', done, total }));
  const tops = await topActivatingImages(ctx.net, ctx.dataset, layer, count, { onProgress: progress });
  const result: TopActivations = {
    checkpoint: ctx.name,
    layer,
    count,
    images: ctx.dataset.size,
    filters: tops.map((t, filter) => ({ filter, indices: t.indices, scores: t.scores })),
  };
  await writeJsonAtomic(file, result, { fsync: false });
  return result;
}

async function ensureFilterImages(
  ctx: CheckpointContext,
  dir: string,
  layer: string,
  filters: number[],
  params: AscentParams,
  io: AnalysisIO,
): Promise<FilterAscentResult[]> {
  const done = new Map<number, FilterAscentResult>();
  const todo: number[] = [];
  for (const f of filters) {
    const stem = filterFileStem(f);
    const cached = await readJsonOrUndefined<FilterAscentResult>(path.join(dir, `${stem}.json`));
    const png = await fs.stat(path.join(dir, `${stem}.png`)).then(
      (s) => s.size > 0,
      () => false,
    );
    if (cached && png && sameParams(cached.params, params)) {
      done.set(f, cached);
      io.emit({ type: 'filter', result: cached, cached: true });
    } else todo.push(f);
  }
  if (todo.length) {
    const { inputSize: s, inputChannels: c } = ctx.net.options;
    io.log(
      `gradient ascent: ${todo.length} filter(s) of ${layer}, ${params.iterations} iterations, step ${stepLength(params.lr, s * s * c).toFixed(3)} (lr ${params.lr} at 224x224x3)`,
    );
    const progress = throttled((d, total) => io.emit({ type: 'progress', phase: 'gradient-ascent', done: d, total }));
    let batchStart = performance.now();
    await maximizeFilters(ctx.net, layer, todo, params, {
      normalization: ctx.dataset.normalization,
      onProgress: progress,
      onImages: async (images) => {
        const seconds = (performance.now() - batchStart) / images.length / 1000;
        for (const img of images) {
          const result = await saveFilterImage(ctx, dir, layer, img, params, seconds);
          done.set(img.filter, result);
          io.emit({ type: 'filter', result, cached: false });
        }
        batchStart = performance.now();
      },
    });
  }
  return filters.map((f) => done.get(f)!);
}

async function saveFilterImage(
  ctx: CheckpointContext,
  dir: string,
  layer: string,
  img: FilterImage,
  params: AscentParams,
  seconds: number,
): Promise<FilterAscentResult> {
  const { inputSize: s, inputChannels: c } = ctx.net.options;
  const stem = filterFileStem(img.filter);
  const png = await encodePng(deprocessImage(img.pixels), s, s, c);
  const result: FilterAscentResult = {
    layer,
    filter: img.filter,
    image: analysisRelPath(ctx.name, layer, `${stem}.png`),
    params,
    stepLength: stepLength(params.lr, s * s * c),
    activationStart: img.activationStart,
    activationEnd: img.activationEnd,
    probabilityEnd: img.probabilityEnd,
    usedPreBatchNorm: img.usedPreBatchNorm,
    seconds,
  };
  // The PNG first: a JSON file present means its image is complete.
  await writeFileAtomic(path.join(dir, `${stem}.png`), png, { fsync: false });
  await writeJsonAtomic(path.join(dir, `${stem}.json`), result, { fsync: false });
  return result;
}

function sameParams(a: AscentParams, b: AscentParams): boolean {
  return (Object.keys(b) as (keyof AscentParams)[]).every((k) => a[k] === b[k]);
}

export async function readJsonOrUndefined<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Progress at most every 250 ms, plus the last call. */
export function throttled(f: (done: number, total: number) => void, ms = 250): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done === total || now - last >= ms) {
      last = now;
      f(done, total);
    }
  };
}
