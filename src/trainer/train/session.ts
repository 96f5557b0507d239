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
import { writeImageNames } from '../run/imageNames';
import { imagesLists, officialSampler, Rng, uniformSampler } from '../cluster';
import { openDataset, type Dataset } from '../data';
import { initEngine } from '../engine';
import { wasmMicroBatch } from '../engine/wasm';
import { ari, clusterSizes, hungarianAccuracy, knnAccuracy, nmi, purity } from '../metrics';
import { createModel } from '../model';
import { latestCompleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint';
import { EventLog } from '../run/events';
import { createRunDir, newRunManifest, readRunManifest, removePidFile, RunDirError, trainerLiveness, setRunStatus, updateRunManifest, writePidFile, writeSkipped } from '../run/runDir';
import { centroidDistances, clusterExemplars, clusterFeatures, labelHistograms, type EpochClustering } from './clusteringPhase';
import { computeFeatures, runEpochs, StopRequested, type Clustering, type LoopDeps } from './loop';
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
}

export async function train(config: TrainConfig, opts: SessionOptions): Promise<string> {
  const dataset = await openData(config, opts);
  validateAgainstDataset(config, dataset.size);
  const engine = await initEngine(config.backend, { log: opts.log });
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
  const engine = await initEngine(config.backend, { log: opts.log });
  const ckpt = await latestCompleteCheckpoint(runDir, { clean: true }).catch(() => undefined);
  return run(runDir, config, dataset, engine, opts, ckpt?.dir);
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
  const body = bodyOptimizer(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  let top: Sgd | undefined;
  let startEpoch = 0;
  let previous: Int32Array | undefined;
  if (checkpointDir) {
    const ck = await loadCheckpoint(checkpointDir);
    const weights = new Map([...ck.weights].filter(([name]) => !name.startsWith('top.')));
    model.loadWeights(weights);
    if (ck.optimizer) body.importState(ck.optimizer.state);
    tf.dispose([...ck.weights.values(), ...(ck.optimizer ? [...ck.optimizer.state.values()] : [])]);
    previous = ck.assignments;
    startEpoch = ck.epoch + 1;
    opts.log(`resuming ${runDir} after epoch ${ck.epoch} (${checkpointDir})`);
  }

  await updateRunManifest(runDir, { status: 'running', engine, epochsDone: startEpoch });
  const names = join(runDir, RUN_FILES.images);
  if (!existsSync(names)) await writeImageNames(names, dataset.size, (i) => dataset.itemName(i));
  if (dataset.skipped.length) {
    const listFile = await writeSkipped(runDir, dataset.skipped);
    events.emit({ type: 'skipped', count: dataset.skipped.length, listFile });
    opts.log(`skipped ${dataset.skipped.length} unreadable file(s); listed in ${listFile}`);
  }
  events.emit({ type: 'start', runDir, epochs: config.epochs, startEpoch, engine, images: dataset.size });
  opts.log(`backend ${engine.backend} on ${engine.device}; ${dataset.size} images; epochs ${startEpoch}..${config.epochs - 1}`);

  // The wasm heap is capped at 4 GiB: split large batches into micro-batches that fit (gradients accumulate;
  // BatchNorm statistics then come from each micro-batch).
  const microBatch = config.microBatch ?? (engine.backend === 'wasm' ? wasmMicroBatch(model.summary(), config.batchSize) : undefined);
  if (microBatch && microBatch < config.batchSize) opts.log(`batch ${config.batchSize} runs as micro-batches of ${microBatch}`);
  const lastPhase = new Map<string, number>();
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
      const t = c.transform;
      const matrix = new Float32Array(t.components.length);
      for (let j = 0; j < t.outputDim; j++) for (let i = 0; i < t.inputDim; i++) matrix[j * t.inputDim + i] = t.components[j * t.inputDim + i] * t.scales[j];
      const optimizerState = body.exportState();
      const distances = centroidDistances(c);
      const ref = await saveCheckpoint(runDir, {
        epoch,
        arch: config.arch,
        modelOptions: { ...model.options },
        weights: model.namedWeights(),
        optimizer: { state: optimizerState, config: { ...body.options } },
        assignments: c.assignments,
        k: c.k,
        centroids: c.centroids ? { data: c.centroids, shape: [c.k, c.reducedDim ?? 0] } : undefined,
        pca: { mean: { data: t.mean, shape: [t.inputDim] }, matrix: { data: matrix, shape: [t.outputDim, t.inputDim] } },
        distances,
        exemplars: clusterExemplars(c, distances),
        labelHistograms: dataset.labels ? labelHistograms(c.assignments, c.k, dataset.labels, dataset.classNames) : undefined,
        metrics: state.metrics,
      }, { keep: config.keepCheckpoints, beforeRename: () => crashIfRequested(epoch, 'checkpoint', 'checkpoint-rename') }).finally(() => tf.dispose([...optimizerState.values()]));
      await updateRunManifest(runDir, { epochsDone: epoch + 1 });
      events.emit({ type: 'checkpoint', epoch, path: ref.dir });
      return ref.dir;
    },
    emitPhase: (epoch: number, phase: Phase, done?: number, total?: number) => {
      // Throttle progress events to about one a second per phase; phase starts always go out.
      const key = `${epoch}:${phase}`;
      const now = performance.now();
      if (done === undefined || done === total || now - (lastPhase.get(key) ?? 0) >= 1000) {
        lastPhase.set(key, now);
        events.emit({ type: 'phase', epoch, phase, done, total });
      }
      crashIfRequested(epoch, phase, { done });
    },
    emitEpoch: (m: EpochMetrics) => {
      events.emit({ type: 'epoch', metrics: m });
      opts.log(formatEpoch(m, config.epochs));
    },
    shouldStop: () => stop,
  };

  try {
    await runEpochs(deps, startEpoch, previous);
    if (dataset.labels && !stop) await evaluate(deps, dataset, events, opts);
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
    body.dispose();
    top?.dispose();
  }
  return runDir;
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

/**
 * kNN (k = 20, cosine) accuracy of the final fc7 features. The held-out split is a fixed 10% of the images
 * (seeded), the bank the other 90%; labels are never used in training, so this measures the features only.
 */
async function evaluate(deps: LoopDeps, dataset: Dataset, events: EventLog, opts: SessionOptions): Promise<void> {
  const labels = dataset.labels!;
  deps.emitPhase(deps.config.epochs - 1, 'evaluation');
  deps.model.removeTopLayer();
  const f = await computeFeatures(deps, deps.config.epochs - 1);
  const n = dataset.size;
  const d = deps.model.featureDim;
  const random = new Rng(epochSeed(deps.config.seed, 0, 'holdout')).random;
  const isTest = new Uint8Array(n);
  const nTest = Math.max(1, Math.floor(n / 10));
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let i = 0; i < nTest; i++) isTest[order[i]] = 1;
  const pick = (test: boolean) => {
    const idx = [...order].filter((i) => !!isTest[i] === test).sort((a, b) => a - b);
    const data = new Float32Array(idx.length * d);
    idx.forEach((i, r) => data.set(f.subarray(i * d, (i + 1) * d), r * d));
    return { data, labels: Int32Array.from(idx, (i) => labels[i]), n: idx.length };
  };
  const bank = pick(false);
  const query = pick(true);
  const acc = await knnAccuracy({ data: bank.data, n: bank.n, d }, bank.labels, { data: query.data, n: query.n, d }, query.labels, { k: 20 });
  events.emit({ type: 'evaluation', knnAccuracy: acc, k: 20, heldOut: query.n });
  opts.log(`kNN-20 (cosine) accuracy of fc7 on a held-out 10% (${query.n} images): ${acc.toFixed(3)}`);
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
