// A training session: opens the data, picks the engine, creates (or re-opens) the run directory, builds the
// model and optimizers, runs the epoch loop, and leaves the run directory in a state `resume` can trust.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { EngineInfo } from '../../protocol/engine';
import type { EpochMetrics, Phase } from '../../protocol/events';
import { UsageError } from '../usageError';
import { datasetSizeDefaults, FEATURE_DIM } from './defaults';
import { applyInitWeights, configForInit, disposeInit, readInitWeights, type InitWeights } from './initFrom';
import { validateAgainstDataset } from './validateConfig';
import { openDataset, type Dataset } from '../data';
import { initEngine, stageOnCpu } from '../engine';
import { webgpuBindingLimit, WebgpuError } from '../engine/webgpuGuard';
import { webgpuFitProblem } from './webgpuLimits';
import { trainingStepMeasurement } from './measureStep';
import { createModel, summarizeAny } from '../model';
import { latestCompleteCheckpoint } from '../../runfolder/checkpoints';
import { EventLog } from '../../runfolder/events';
import { writeImageNames } from '../../runfolder/imageNames';
import { removePidFile, trainerLiveness, writePidFile } from '../../runfolder/liveness';
import {
  createRunDir,
  newRunManifest,
  readRunManifest,
  RunDirError,
  setRunStatus,
  updateRunManifest,
} from '../../runfolder/manifest';
import { writeSkipped } from '../../runfolder/skipped';
import { defaultStepOptions, StepScalars } from '../run/stepScalars';
import { StopRequested } from './stop';
import { runPaperRecipe } from './paper/recipe';
import { runV2Recipe } from './v2/recipe';
import { evaluateRun } from './evaluateRun';
import { crashIfRequested } from './faults';

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
  // --init: the checkpoint decides the architecture (and with it the defaults) before the data is read; its
  // weights become tensors, so a named engine comes first. `auto` measures the model, known only once the checkpoint
  // is read: its weights wait on the cpu backend (stageOnCpu.ts) and the engine is chosen below, as without --init.
  const early = !given.init
    ? undefined
    : given.backend === 'auto'
      ? await stageOnCpu()
      : await initEngine(given.backend, { log: opts.log });
  const init = given.init ? await readInitWeights(given.init) : undefined;
  try {
    const chosen = init ? configForInit(given, init, opts.explicit ?? new Set()) : given;
    if (init) {
      opts.log(`starting from ${init.description}`);
      if (chosen.pca > FEATURE_DIM[chosen.arch])
        throw new UsageError(
          `--pca ${chosen.pca} is larger than the feature size of ${chosen.arch} (${FEATURE_DIM[chosen.arch]})`,
        );
    }
    const dataset = await openData(chosen, opts);
    const config = datasetSizeDefaults(chosen, dataset.size, opts.explicit ?? new Set());
    validateAgainstDataset(config, dataset.size);
    const engine = early ?? (await initEngine(config.backend, autoEngineOptions(config, dataset.channels, opts.log)));
    refuseWhatWebgpuCannotBind(config, dataset.channels);
    const manifest = newRunManifest({ config, dataset: dataset.info, engine, versions: versions() });
    await createRunDir(config.out, manifest);
    return await run(config.out, config, dataset, engine, opts, undefined, init);
  } finally {
    if (init) disposeInit(init);
  }
}

export async function resume(runDir: string, opts: SessionOptions): Promise<string> {
  const manifest = readRunManifest(runDir);
  const owner = trainerLiveness(runDir);
  if (owner.liveness === 'alive')
    throw new RunDirError(`run ${runDir} is being trained by process ${owner.pid?.pid}; stop it first`);
  if (manifest.status === 'finished' && manifest.epochsDone >= manifest.config.epochs) {
    throw new RunDirError(`run ${runDir} already finished all ${manifest.config.epochs} epochs`);
  }
  const config = { ...manifest.config, ...(opts.backend ? { backend: opts.backend } : {}) };
  const dataset = await openData(config, opts);
  if (dataset.info.fingerprint !== manifest.dataset.fingerprint) {
    throw new Error(
      `the dataset at ${dataset.info.path} changed since run ${runDir} started (fingerprint ${dataset.info.fingerprint} != ${manifest.dataset.fingerprint})`,
    );
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
  return {
    log,
    measure: trainingStepMeasurement(config, channels),
    allowSoftware: process.env.DEEPCLUSTER_AUTO_SOFTWARE === '1',
  };
}

/** On webgpu, a weight or activation over the adapter's binding limit is refused before any weight exists. */
function refuseWhatWebgpuCannotBind(config: TrainConfig, channels: number): void {
  const limit = webgpuBindingLimit();
  if (limit === undefined) return;
  const rows = summarizeAny({
    arch: config.arch,
    inputSize: config.inputSize,
    inputChannels: channels,
    sobel: config.sobel,
    seed: config.seed,
  });
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
      if (pct >= lastPct + 10) {
        opts.log(`decoding images: ${done}/${total}`);
        lastPct = pct;
      }
    },
  });
}

async function run(
  runDir: string,
  config: TrainConfig,
  dataset: Dataset,
  engine: EngineInfo,
  opts: SessionOptions,
  checkpointDir: string | undefined,
  init?: InitWeights,
): Promise<string> {
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

  const model = createModel({
    arch: config.arch,
    inputSize: config.inputSize,
    inputChannels: dataset.channels,
    sobel: config.sobel,
    seed: config.seed,
  });
  // A fresh run's pretrained weights (on resume the checkpoint holds newer ones).
  if (init && !checkpointDir) {
    try {
      applyInitWeights(model, init);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  await updateRunManifest(runDir, { status: 'running', engine });
  await writeImageNames(runDir, dataset.size, (i) => dataset.itemName(i), true);
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
  const onEpoch = async (epoch: number, checkpointDir: string, m: EpochMetrics) => {
    await updateRunManifest(runDir, { epochsDone: epoch + 1 });
    events.emit({ type: 'checkpoint', epoch, path: checkpointDir });
    events.emit({ type: 'epoch', metrics: m });
    opts.log(formatEpoch(m, config.epochs));
  };
  const onStart = async (startEpoch: number) => {
    await updateRunManifest(runDir, { epochsDone: startEpoch });
    events.emit({ type: 'start', runDir, epochs: config.epochs, startEpoch, engine, images: dataset.size });
    opts.log(
      `backend ${engine.backend} on ${engine.device}; ${dataset.size} images; epochs ${startEpoch}..${config.epochs - 1}`,
    );
  };
  const recipe = {
    runDir,
    config,
    dataset,
    model,
    checkpointDir,
    onStart,
    onEpoch,
    log: opts.log,
    progress: { phase: emitPhase, shouldStop: () => stop, steps },
    crashPoint: (epoch: number) => crashIfRequested(epoch, 'checkpoint', 'checkpoint-rename'),
  };

  try {
    if ((config.recipe ?? 'paper') === 'v2') {
      await runV2Recipe({
        ...recipe,
        init: checkpointDir ? undefined : init,
        onInitial: (metrics) => events.emit({ type: 'initialClustering', metrics }),
      });
    } else {
      await runPaperRecipe({ ...recipe, engine });
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
