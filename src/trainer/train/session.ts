// A training session: opens the data, picks the engine, creates (or re-opens) the run directory, builds the
// model and optimizers, runs the epoch loop, and leaves the run directory in a state `resume` can trust.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import type { EpochMetrics, Phase } from '../../protocol/events';
import { RUN_FILES } from '../../protocol/run';
import { validateAgainstDataset } from '../cli/args';
import { datasetSizeDefaults } from '../cli/defaults';
import { writeImageNames } from '../run/imageNames';
import { imagesLists, officialSampler, Rng, uniformSampler } from '../cluster';
import { openDataset, type Dataset } from '../data';
import { initEngine } from '../engine';
import { webgpuBindingLimit, WebgpuError } from '../engine/webgpuGuard';
import { webgpuFitProblem } from '../engine/webgpuLimits';
import { trainingStepMeasurement } from './measureStep';
import { wasmMicroBatch } from '../engine/wasm';
import { ari, clusterSizes, hungarianAccuracy, nmi, purity } from '../metrics';
import { createModel, summarizeAny } from '../model';
import { latestCompleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint';
import { EventLog } from '../run/events';
import { defaultStepOptions, StepScalars } from '../run/stepScalars';
import { createRunDir, newRunManifest, readRunManifest, removePidFile, RunDirError, trainerLiveness, setRunStatus, updateRunManifest, writePidFile, writeSkipped } from '../run/runDir';
import { clusterFeatures, clusteringCheckpointFields, type EpochClustering } from './clusteringPhase';
import { runEpochs, StopRequested, type Clustering, type LoopDeps } from './loop';
import { runV2Recipe } from './v2/recipe';
import { evaluateRun } from './evaluateRun';
import type { ConvNet } from '../model/types';
import { crashIfRequested } from './faults';
import { epochSeed } from './seeds';
import { bodyOptimizer, topOptimizer, type Sgd } from './sgd';
import { trainStep } from './step';

export interface SessionOptions {
  /** Mirror events as JSON lines on stdout (for the extension). */
  json: boolean;
  /** Human progress lines (stderr when json, else stdout). */
  log: (line: string) => void;
  /** Override the run's backend on resume. */
  backend?: TrainConfig['backend'];
  /** The settings given on the command line; the others may follow the dataset's size (datasetSizeDefaults). */
  explicit?: ReadonlySet<keyof TrainConfig>;
}

export async function train(given: TrainConfig, opts: SessionOptions): Promise<string> {
  const dataset = await openData(given, opts);
  const config = datasetSizeDefaults(given, dataset.size, opts.explicit ?? new Set());
  validateAgainstDataset(config, dataset.size);
  const engine = await initEngine(config.backend, autoEngineOptions(config, dataset.channels, opts.log));
  refuseWhatWebgpuCannotBind(config, dataset.channels);
  const manifest = newRunManifest({ config, dataset: dataset.info, engine, versions: versions() });
  await createRunDir(config.out, manifest);
  return run(config.out, config, dataset, engine, opts, undefined);
}

export async function resume(runDir: string, opts: SessionOptions): Promise<string> {
  const manifest = await readRunManifest(runDir);
  const owner = await trainerLiveness(runDir);
  if (owner.liveness === 'alive') throw new RunDirError(`run ${runDir} is being trained by process ${owner.pid?.pid}; stop it first`);
  if (manifest.status === 'finished' && manifest.epochsDone >= manifest.config.epochs) {
    throw new RunDirError(`run ${runDir} already finished all ${manifest.config.epochs} epochs`);
  }
  const config = { ...manifest.config, ...(opts.backend ? { backend: opts.backend } : {}) };
  const dataset = await openData(config, opts);
  if (dataset.info.fingerprint !== manifest.dataset.fingerprint) {
    throw new Error(`the dataset at ${dataset.info.path} changed since run ${runDir} started (fingerprint ${dataset.info.fingerprint} != ${manifest.dataset.fingerprint})`);
  }
  const engine = await initEngine(config.backend, autoEngineOptions(config, dataset.channels, opts.log));
  refuseWhatWebgpuCannotBind(config, dataset.channels);
  const ckpt = await latestCompleteCheckpoint(runDir, { clean: true }).catch(() => undefined);
  return run(runDir, config, dataset, engine, opts, ckpt?.dir);
}

/**
 * `auto` times the run's own training step on each backend that loads (measureStep.ts); a named one is obeyed.
 * DEEPCLUSTER_AUTO_SOFTWARE=1 lets a software adapter compete (so machines without a GPU can exercise it).
 */
function autoEngineOptions(config: TrainConfig, channels: number, log: (line: string) => void) {
  if (config.backend !== 'auto') return { log };
  return { log, measure: trainingStepMeasurement(config, channels), allowSoftware: process.env.DEEPCLUSTER_AUTO_SOFTWARE === '1' };
}

/** On webgpu, a weight or activation over the adapter's binding limit is refused before any weight exists. */
function refuseWhatWebgpuCannotBind(config: TrainConfig, channels: number): void {
  const limit = webgpuBindingLimit();
  if (limit === undefined) return;
  const rows = summarizeAny({ arch: config.arch, inputSize: config.inputSize, inputChannels: channels, sobel: config.sobel, seed: config.seed });
  const problem = webgpuFitProblem(config.arch, rows, config.microBatch ?? config.batchSize, limit);
  if (problem) throw new WebgpuError(problem);
}

async function openData(config: TrainConfig, opts: SessionOptions): Promise<Dataset> {
  let lastPct = -1;
  return openDataset({
    path: config.data,
    inputSize: config.inputSize,
    limit: config.limit,
    cacheDir: config.cacheDir,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / Math.max(1, total));
      if (pct >= lastPct + 10) opts.log(`decoding images: ${done}/${total}`), (lastPct = pct);
    },
  });
}

async function run(runDir: string, config: TrainConfig, dataset: Dataset, engine: EngineInfo, opts: SessionOptions, checkpointDir: string | undefined): Promise<string> {
  const events = EventLog.open(runDir, opts.json ? { mirror: true } : {});
  await writePidFile(runDir);
  let stop = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop) process.exit(130); // a second Ctrl-C means "now"
    stop = true;
    opts.log(`${sig}: stopping after the current batch; the last complete checkpoint stays valid for resume`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const model = createModel({ arch: config.arch, inputSize: config.inputSize, inputChannels: dataset.channels, sobel: config.sobel, seed: config.seed });
  await updateRunManifest(runDir, { status: 'running', engine });
  const names = join(runDir, RUN_FILES.images);
  if (!existsSync(names)) await writeImageNames(names, dataset.size, (i) => dataset.itemName(i));
  if (dataset.skipped.length) {
    const listFile = await writeSkipped(runDir, dataset.skipped);
    events.emit({ type: 'skipped', count: dataset.skipped.length, listFile });
    opts.log(`skipped ${dataset.skipped.length} unreadable file(s); listed in ${listFile}`);
  }

  const lastPhase = new Map<string, number>();
  // Step-level scalars (loss, lr, images/s) at a bounded rate, for the curves panel and TensorBoard.
  const steps = new StepScalars(events, defaultStepOptions(config.epochs * Math.ceil(dataset.size / config.batchSize)));
  const emitPhase = (epoch: number, phase: Phase, done?: number, total?: number) => {
    // Throttle progress events to about one a second per phase; phase starts always go out.
    const key = `${epoch}:${phase}`;
    const now = performance.now();
    if (done === undefined || done === total || now - (lastPhase.get(key) ?? 0) >= 1000) {
      lastPhase.set(key, now);
      events.emit({ type: 'phase', epoch, phase, done, total });
    }
    crashIfRequested(epoch, phase, { done });
  };
  const emitEpoch = (m: EpochMetrics) => {
    events.emit({ type: 'epoch', metrics: m });
    opts.log(formatEpoch(m, config.epochs));
  };
  const onCheckpoint = async (epoch: number, dir: string) => {
    await updateRunManifest(runDir, { epochsDone: epoch + 1 });
    events.emit({ type: 'checkpoint', epoch, path: dir });
  };
  const startEvent = (startEpoch: number) => {
    events.emit({ type: 'start', runDir, epochs: config.epochs, startEpoch, engine, images: dataset.size });
    opts.log(`backend ${engine.backend} on ${engine.device}; ${dataset.size} images; epochs ${startEpoch}..${config.epochs - 1}`);
  };

  try {
    if ((config.recipe ?? 'paper') === 'v2') {
      await runV2Recipe({
        runDir, config, dataset, model, checkpointDir, log: opts.log, emitEpoch, onCheckpoint,
        emitInitial: (metrics) => events.emit({ type: 'initialClustering', metrics }),
        onStart: async (startEpoch) => {
          await updateRunManifest(runDir, { epochsDone: startEpoch });
          startEvent(startEpoch);
        },
        progress: { phase: emitPhase, shouldStop: () => stop, steps },
        clusterMetrics: (assignments, prev, c) => clusterMetrics(assignments, prev, c, dataset),
        crashPoint: (epoch) => crashIfRequested(epoch, 'checkpoint', 'checkpoint-rename'),
      });
    } else {
      await runPaperRecipe({ runDir, config, dataset, engine, model, checkpointDir, opts, emitPhase, emitEpoch, onCheckpoint, startEvent, shouldStop: () => stop, steps });
    }
    if (dataset.labels && !stop) await evaluateRun(runDir, model, dataset, config, events, opts, emitPhase);
    await setRunStatus(runDir, 'finished');
    events.emit({ type: 'done', epochs: config.epochs, runDir });
    opts.log(`run written to ${runDir}`);
  } catch (e) {
    if (e instanceof StopRequested) {
      const m = await setRunStatus(runDir, 'stopped', 'stopped by a signal');
      events.emit({ type: 'stopped', epoch: m.epochsDone, reason: 'signal' });
      opts.log(`stopped; continue with: deepcluster resume ${runDir}`);
    } else {
      const message = e instanceof Error ? e.message : String(e);
      await setRunStatus(runDir, 'failed', message).catch(() => undefined);
      events.emit({ type: 'error', message });
      throw e;
    }
  } finally {
    events.close();
    await removePidFile(runDir).catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model.dispose();
  }
  return runDir;
}

interface PaperRunContext {
  runDir: string;
  config: TrainConfig;
  dataset: Dataset;
  engine: EngineInfo;
  model: ConvNet;
  checkpointDir?: string;
  opts: SessionOptions;
  emitPhase: LoopDeps['emitPhase'];
  emitEpoch: LoopDeps['emitEpoch'];
  onCheckpoint: (epoch: number, dir: string) => Promise<void>;
  startEvent: (startEpoch: number) => void;
  shouldStop: () => boolean;
  steps: LoopDeps['steps'];
}

/** The 2018 recipe: features -> PCA + k-means -> fresh top layer -> training, as the official main.py. */
async function runPaperRecipe(p: PaperRunContext): Promise<void> {
  const { runDir, config, dataset, engine, model, opts } = p;
  const body = bodyOptimizer(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  let top: Sgd | undefined;
  let startEpoch = 0;
  let previous: Int32Array | undefined;
  try {
    if (p.checkpointDir) {
      const ck = await loadCheckpoint(p.checkpointDir);
      const weights = new Map([...ck.weights].filter(([name]) => !name.startsWith('top.')));
      model.loadWeights(weights);
      if (ck.optimizer) body.importState(ck.optimizer.state);
      tf.dispose([...ck.weights.values(), ...(ck.optimizer ? [...ck.optimizer.state.values()] : [])]);
      previous = ck.assignments;
      startEpoch = ck.epoch + 1;
      opts.log(`resuming ${runDir} after epoch ${ck.epoch} (${p.checkpointDir})`);
    }
    await updateRunManifest(runDir, { epochsDone: startEpoch });
    p.startEvent(startEpoch);
    // The wasm heap is capped at 4 GiB: split large batches into micro-batches that fit (gradients accumulate;
    // BatchNorm statistics then come from each micro-batch).
    const microBatch = config.microBatch ?? (engine.backend === 'wasm' ? wasmMicroBatch(model.summary(), config.batchSize) : undefined);
    if (microBatch && microBatch < config.batchSize) opts.log(`batch ${config.batchSize} runs as micro-batches of ${microBatch}`);
    const deps: LoopDeps = {
      config,
      model,
      data: {
        size: dataset.size,
        evalBatch: (idx) => dataset.evalBatch(idx),
        trainBatch: (idx, random) => dataset.trainBatch(idx, random),
      },
      cluster: (f, n, d, epoch) => clusterFeatures(config, f, n, d, epoch),
      sample: (assignments, k, epoch) => {
        const lists = imagesLists(assignments, k);
        const random = new Rng(epochSeed(config.seed, epoch, 'sampler')).random;
        return (config.sampler === 'official' ? officialSampler : uniformSampler)(lists, dataset.size, random);
      },
      step: (x, y) => trainStep(model, x, y, { body, top: top! }, { microBatch }),
      newTopOptimizer: () => {
        top?.dispose();
        top = topOptimizer(model, { lr: config.lr, weightDecay: config.weightDecay });
      },
      metrics: (assignments, prev, c) => clusterMetrics(assignments, prev, c, dataset),
      checkpoint: async (epoch, state) => {
        const c = state.clustering as EpochClustering;
        const optimizerState = body.exportState();
        const ref = await saveCheckpoint(runDir, {
          epoch,
          arch: config.arch,
          modelOptions: { ...model.options },
          weights: model.namedWeights(),
          optimizer: { state: optimizerState, config: { ...body.options } },
          ...clusteringCheckpointFields(c, dataset.labels, dataset.classNames),
          metrics: state.metrics,
        }, { keep: config.keepCheckpoints, beforeRename: () => crashIfRequested(epoch, 'checkpoint', 'checkpoint-rename') }).finally(() => tf.dispose([...optimizerState.values()]));
        await p.onCheckpoint(epoch, ref.dir);
        return ref.dir;
      },
      emitPhase: p.emitPhase,
      emitEpoch: p.emitEpoch,
      shouldStop: p.shouldStop,
      steps: p.steps,
    };
    await runEpochs(deps, startEpoch, previous);
  } finally {
    body.dispose();
    top?.dispose();
  }
}

function clusterMetrics(assignments: Int32Array, previous: Int32Array | undefined, c: Clustering, dataset: Dataset): Omit<EpochMetrics, 'epoch' | 'loss' | 'seconds'> {
  const labels = dataset.labels;
  return {
    clusteringObjective: c.objective,
    nmiPrev: previous ? nmi(assignments, previous, 'geometric') : undefined,
    nmiLabels: labels ? nmi(assignments, labels, 'geometric') : undefined,
    nmiLabelsArithmetic: labels ? nmi(assignments, labels, 'arithmetic') : undefined,
    ari: labels ? ari(assignments, labels) : undefined,
    accuracy: labels ? hungarianAccuracy(assignments, labels) : undefined,
    purity: labels ? purity(assignments, labels) : undefined,
    clusters: clusterSizes(assignments, c.k),
  };
}

function formatEpoch(m: EpochMetrics, epochs: number): string {
  const f = (v: number | undefined, digits = 3) => (v === undefined ? '  -  ' : v.toFixed(digits));
  return (
    `epoch ${m.epoch + 1}/${epochs}  loss ${f(m.loss)}  NMI(t,t-1) ${f(m.nmiPrev)}  NMI(labels) ${f(m.nmiLabels)}` +
    `  ARI ${f(m.ari)}  acc ${f(m.accuracy)}  purity ${f(m.purity)}  empty ${m.clusters.empty}/${m.clusters.k}  ${m.seconds.epoch.toFixed(1)} s` +
    ` (features ${f(m.seconds.features, 1)}, clustering ${f(m.seconds.clustering, 1)}, training ${f(m.seconds.training, 1)})`
  );
}

function versions(): Record<string, string> {
  return { node: process.versions.node, tfjs: tf.version_core, deepcluster: readPackageVersion() };
}

function readPackageVersion(): string {
  try {
    return require(join(__dirname, '..', '..', 'package.json')).version as string;
  } catch {
    return 'dev';
  }
}
